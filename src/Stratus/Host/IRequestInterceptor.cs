using Microsoft.AspNetCore.Http;

namespace Stratus.Host;

/// <summary>
/// Traffic on the shared endpoint that is not an AWS API call (API Gateway's invoke URLs): checked before
/// the request router, which would otherwise read it as a control-plane request.
/// </summary>
public interface IRequestInterceptor
{
    bool Claims(HttpRequest request);
    Task HandleAsync(HttpContext http);
}

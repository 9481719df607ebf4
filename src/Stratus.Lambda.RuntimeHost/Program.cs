using Stratus.Lambda.RuntimeHost;

return await RuntimeLoop.RunAsync();

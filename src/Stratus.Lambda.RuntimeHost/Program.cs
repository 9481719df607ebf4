using Stratus.Lambda.RuntimeHost;

return RuntimeLoop.Run();

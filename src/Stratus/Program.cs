using Stratus.Cli;

return await StratusCommandLine.Build().Parse(args).InvokeAsync();

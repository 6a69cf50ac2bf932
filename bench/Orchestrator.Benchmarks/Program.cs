using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Orchestrator.Benchmarks -- --filter '*'   (or --list flat)
BenchmarkSwitcher.FromAssembly(typeof(Orchestrator.Benchmarks.DomainBenchmarks).Assembly).Run(args);

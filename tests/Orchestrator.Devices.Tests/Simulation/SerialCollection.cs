namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>Tests that measure memory or time run in this collection, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}

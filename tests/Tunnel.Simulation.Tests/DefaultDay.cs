using Tunnel.Simulation;

namespace Tunnel.Simulation.Tests;

/// <summary>The default scenario, simulated once and shared: a 24 h day of both bores takes a few seconds.</summary>
public sealed class DefaultDay
{
    public SimulationResult Result { get; } = TrafficSimulator.Run(new SimulationOptions());
    public SimulationOptions Options => Result.Options;
    public SimulationTruth Truth => Result.Truth;
}

[CollectionDefinition(Name)]
public sealed class DefaultDayCollection : ICollectionFixture<DefaultDay>
{
    public const string Name = "default day";
}

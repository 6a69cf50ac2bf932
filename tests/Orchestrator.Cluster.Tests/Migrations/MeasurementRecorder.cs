using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Orchestrator.Cluster.Telemetry;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>Records what the cluster's instruments (meter <see cref="ClusterMetrics.MeterName"/>) measure while it lives.</summary>
internal sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeasurementRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ClusterMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<(Instrument Instrument, double Value, IReadOnlyDictionary<string, string?> Tags)> Measurements { get; } = new();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString();
        }

        Measurements.Enqueue((instrument, value, copy));
    }
}

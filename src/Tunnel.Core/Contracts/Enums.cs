namespace Tunnel.Core.Contracts;

/// <summary>Which end of a bore a camera watches. Serialised as <c>entry</c> / <c>exit</c>.</summary>
public enum Portal { Entry, Exit }

public enum PlateColor { Blue, Yellow, Green, White, Black, Unknown }

public enum VehicleClass { Car, Van, Bus, Truck, Motorcycle, Unknown }

public enum AlarmKind { Overdue, Congestion, AgentOffline }

/// <summary>ISA-18.2 alarm states, serialised kebab-case (<c>active-unacknowledged</c>, ...).</summary>
public enum AlarmState { ActiveUnacknowledged, ActiveAcknowledged, ClearedUnacknowledged, Closed, Shelved }

public enum AlarmPriority { Critical, High, Medium, Low }

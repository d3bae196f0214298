using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace Tunnel.Core.Contracts;

/// <summary>
/// A reader of <c>tunnel.passage.v1</c> lines as the agents and the serializer write them, about three
/// times as fast as <see cref="TunnelJson.Deserialize{T}(ReadOnlySpan{byte})"/>: replay spent half its
/// time in the serializer's general machinery. It takes each value with the very reader call the
/// serializer's own converters make (<c>GetGuid</c>, <c>GetDateTimeOffset</c>, <c>GetString</c>, ...), so
/// what it returns equals what the serializer returns. Anything else, whatever the serializer would
/// make of it (a property name in another case or escaped, a property twice, an unknown property, a
/// null, a number in a string, an enum in another spelling, malformed JSON), it declines: the caller
/// then asks the serializer, which decides as it always did.
/// </summary>
public static class PassageReader
{
    /// <summary>The passage of one JSON text, or false when only the serializer can say what it is (or that it is none).</summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8Json, out Passage? passage) => TryReadWhole(utf8Json, TryReadPassage, out passage);

    internal delegate bool ObjectReader<T>(ref Utf8JsonReader reader, out T? value) where T : class;

    /// <summary>One JSON object read by <paramref name="read"/>, and nothing after it but whitespace.</summary>
    internal static bool TryReadWhole<T>(ReadOnlySpan<byte> utf8Json, ObjectReader<T> read, out T? value) where T : class
    {
        value = null;
        // The serializer's reader settings: no comments, no trailing commas, depth 64.
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            if (!read(ref reader, out value)) return false;
            // Only whitespace may follow (the reader throws at anything else).
            return !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Malformed JSON, invalid UTF-8 in a string, an id or a time in another format: the serializer's call.
            value = null;
            return false;
        }
    }

    private static bool TryReadPassage(ref Utf8JsonReader reader, out Passage? passage)
    {
        passage = null;
        string schema = Passage.SchemaId, agentId = null!, site = null!, bore = null!, cameraId = null!;
        string? snapshot = null;
        Guid eventId = default;
        long seq = 0;
        int lane = 0;
        Portal portal = default;
        DateTimeOffset capturedAt = default;
        PlateRead? plate = null;
        VehicleRead vehicle = null!;
        var seen = 0;
        while (NextProperty(ref reader, out var name))
        {
            int bit;
            if (name.SequenceEqual("schema"u8)) { bit = 1 << 0; if (!TryIdentifier(ref reader, out schema)) return false; }
            else if (name.SequenceEqual("eventId"u8)) { bit = 1 << 1; if (reader.TokenType != JsonTokenType.String) return false; eventId = reader.GetGuid(); }
            else if (name.SequenceEqual("agentId"u8)) { bit = 1 << 2; if (!TryIdentifier(ref reader, out agentId)) return false; }
            else if (name.SequenceEqual("seq"u8)) { bit = 1 << 3; if (!TryInt64(ref reader, out seq)) return false; }
            else if (name.SequenceEqual("site"u8)) { bit = 1 << 4; if (!TryIdentifier(ref reader, out site)) return false; }
            else if (name.SequenceEqual("bore"u8)) { bit = 1 << 5; if (!TryIdentifier(ref reader, out bore)) return false; }
            else if (name.SequenceEqual("portal"u8)) { bit = 1 << 6; if (!TryPortal(ref reader, out portal)) return false; }
            else if (name.SequenceEqual("lane"u8)) { bit = 1 << 7; if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out lane)) return false; }
            else if (name.SequenceEqual("cameraId"u8)) { bit = 1 << 8; if (!TryIdentifier(ref reader, out cameraId)) return false; }
            else if (name.SequenceEqual("capturedAt"u8)) { bit = 1 << 9; if (reader.TokenType != JsonTokenType.String) return false; capturedAt = reader.GetDateTimeOffset(); }
            else if (name.SequenceEqual("plate"u8)) { bit = 1 << 10; if (!TryReadPlate(ref reader, out plate)) return false; }
            else if (name.SequenceEqual("vehicle"u8)) { bit = 1 << 11; if (!TryReadVehicle(ref reader, out vehicle)) return false; }
            else if (name.SequenceEqual("snapshot"u8)) { bit = 1 << 12; if (!TryString(ref reader, out snapshot)) return false; }
            else return false;
            if ((seen & bit) != 0) return false;
            seen |= bit;
        }
        // Every required member: eventId, agentId, seq, site, bore, portal, lane, cameraId, capturedAt, vehicle.
        const int required = 0b0_1011_1111_1110;
        if ((seen & required) != required) return false;
        passage = new Passage
        {
            Schema = schema, EventId = eventId, AgentId = agentId, Seq = seq, Site = site, Bore = bore, Portal = portal,
            Lane = lane, CameraId = cameraId, CapturedAt = capturedAt, Plate = plate, Vehicle = vehicle, Snapshot = snapshot,
        };
        return true;
    }

    private static bool TryReadPlate(ref Utf8JsonReader reader, out PlateRead? plate)
    {
        plate = null;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        string text = null!;
        var color = PlateColor.Unknown;
        var confidence = 1.0;
        List<double>? chars = null;
        var seen = 0;
        while (NextProperty(ref reader, out var name))
        {
            int bit;
            if (name.SequenceEqual("text"u8)) { bit = 1; if (!TryString(ref reader, out text)) return false; }
            else if (name.SequenceEqual("color"u8)) { bit = 2; if (!TryColor(ref reader, out color)) return false; }
            else if (name.SequenceEqual("confidence"u8)) { bit = 4; if (!TryDouble(ref reader, out confidence)) return false; }
            else if (name.SequenceEqual("charConfidences"u8)) { bit = 8; if (!TryDoubles(ref reader, out chars)) return false; }
            else return false;
            if ((seen & bit) != 0) return false;
            seen |= bit;
        }
        if ((seen & 1) == 0) return false; // text is required
        plate = new PlateRead { Text = text, Color = color, Confidence = confidence, CharConfidences = chars };
        return true;
    }

    private static bool TryReadVehicle(ref Utf8JsonReader reader, out VehicleRead vehicle)
    {
        vehicle = null!;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        var cls = VehicleClass.Unknown;
        double confidence = 0, hazmatConfidence = 0;
        var hazmat = false;
        var seen = 0;
        while (NextProperty(ref reader, out var name))
        {
            int bit;
            if (name.SequenceEqual("class"u8)) { bit = 1; if (!TryClass(ref reader, out cls)) return false; }
            else if (name.SequenceEqual("confidence"u8)) { bit = 2; if (!TryDouble(ref reader, out confidence)) return false; }
            else if (name.SequenceEqual("hazmat"u8)) { bit = 4; if (!TryBool(ref reader, out hazmat)) return false; }
            else if (name.SequenceEqual("hazmatConfidence"u8)) { bit = 8; if (!TryDouble(ref reader, out hazmatConfidence)) return false; }
            else return false;
            if ((seen & bit) != 0) return false;
            seen |= bit;
        }
        vehicle = new VehicleRead { Class = cls, Confidence = confidence, Hazmat = hazmat, HazmatConfidence = hazmatConfidence };
        return true;
    }

    /// <summary>
    /// Moves to the next property of the object being read and onto its value; false at the object's end.
    /// An escaped name is given as empty, which no property matches: the serializer unescapes names.
    /// </summary>
    internal static bool NextProperty(ref Utf8JsonReader reader, out ReadOnlySpan<byte> name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            name = default;
            return false;
        }
        name = reader.ValueIsEscaped ? default : reader.ValueSpan;
        reader.Read();
        return true;
    }

    internal static bool TryString(ref Utf8JsonReader reader, out string value)
    {
        value = null!;
        if (reader.TokenType != JsonTokenType.String) return false; // a null included: declined
        value = reader.GetString()!;
        return true;
    }

    /// <summary>
    /// A string that repeats from line to line (schema, agent, site, bore, camera) as the one string it was last time,
    /// not a new one per line: a simulated day's replay reads about 730,000 of them.
    /// </summary>
    internal static bool TryIdentifier(ref Utf8JsonReader reader, out string value)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence) return TryString(ref reader, out value);
        var utf8 = reader.ValueSpan;
        ref var slot = ref Identifiers[Slot(utf8)];
        // A slot another thread overwrites meanwhile holds another whole string, and only an equal one is taken.
        var known = slot;
        if (known is not null && Ascii.Equals(utf8, known))
        {
            value = known;
            return true;
        }
        value = reader.GetString()!;
        if (Ascii.IsValid(value)) slot = value;
        return true;
    }

    private static readonly string?[] Identifiers = new string?[256];

    /// <summary>
    /// Where an identifier's string is kept: its length and its first, middle and last eight bytes, which
    /// tell apart names that differ in one word ("maoliling-north-entry-1", "maoliling-south-entry-1").
    /// A general hash over every byte was a fifth of the reader's own time. Two names in one slot cost
    /// only a new string now and then, never a wrong one: the slot is compared before it is taken.
    /// </summary>
    private static int Slot(ReadOnlySpan<byte> utf8)
    {
        ulong key = (ulong)utf8.Length;
        if (utf8.Length >= 8)
        {
            key ^= BinaryPrimitives.ReadUInt64LittleEndian(utf8);
            key ^= BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(utf8[((utf8.Length - 8) / 2)..]), 21);
            key ^= BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(utf8[^8..]), 42);
        }
        else
        {
            foreach (var b in utf8) key = key << 8 | b;
        }
        return (int)((key * 0x9E3779B97F4A7C15ul) >> 56);
    }

    internal static bool TryBool(ref Utf8JsonReader reader, out bool value)
    {
        value = false;
        if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return false;
        value = reader.GetBoolean();
        return true;
    }

    internal static bool TryInt64(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }

    internal static bool TryDouble(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number) return false;
        return !reader.HasValueSequence && TryShortDecimal(reader.ValueSpan, out value) || reader.TryGetDouble(out value);
    }

    /// <summary>
    /// A number of at most 15 digits and no exponent, as confidences are written ("0.947"): its digits and the
    /// power of ten its point stands for are both exact doubles, so one division rounds to the nearest double,
    /// which is what the full parser returns too, at a fraction of its cost (a day's replay reads a million of them).
    /// </summary>
    private static bool TryShortDecimal(ReadOnlySpan<byte> number, out double value)
    {
        value = 0;
        var negative = number.Length > 0 && number[0] == '-';
        long digits = 0;
        int count = 0, decimals = -1;
        for (var i = negative ? 1 : 0; i < number.Length; i++)
        {
            var c = number[i];
            if (c == '.' && decimals < 0) { decimals = 0; continue; }
            var digit = c - '0';
            if ((uint)digit > 9 || ++count > 15) return false; // an exponent, or more digits than a double holds exactly
            digits = digits * 10 + digit;
            if (decimals >= 0) decimals++;
        }
        if (count == 0) return false;
        value = digits / PowersOfTen[Math.Max(decimals, 0)];
        if (negative) value = -value;
        return true;
    }

    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    private static bool TryDoubles(ref Utf8JsonReader reader, out List<double>? values)
    {
        // The serializer makes a List<double> of an IReadOnlyList<double>.
        values = null;
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        var list = new List<double>(8);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryDouble(ref reader, out var x)) return false;
            list.Add(x);
        }
        values = list;
        return true;
    }

    // Enums: only the exact kebab-case names the serializer writes; it also reads other spellings, and those are its call.
    internal static bool TryPortal(ref Utf8JsonReader reader, out Portal value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
        var text = reader.ValueSpan;
        if (text.SequenceEqual("entry"u8)) value = Portal.Entry;
        else if (text.SequenceEqual("exit"u8)) value = Portal.Exit;
        else return false;
        return true;
    }

    private static bool TryColor(ref Utf8JsonReader reader, out PlateColor value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
        var text = reader.ValueSpan;
        if (text.SequenceEqual("blue"u8)) value = PlateColor.Blue;
        else if (text.SequenceEqual("yellow"u8)) value = PlateColor.Yellow;
        else if (text.SequenceEqual("green"u8)) value = PlateColor.Green;
        else if (text.SequenceEqual("white"u8)) value = PlateColor.White;
        else if (text.SequenceEqual("black"u8)) value = PlateColor.Black;
        else if (text.SequenceEqual("unknown"u8)) value = PlateColor.Unknown;
        else return false;
        return true;
    }

    private static bool TryClass(ref Utf8JsonReader reader, out VehicleClass value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
        var text = reader.ValueSpan;
        if (text.SequenceEqual("car"u8)) value = VehicleClass.Car;
        else if (text.SequenceEqual("van"u8)) value = VehicleClass.Van;
        else if (text.SequenceEqual("bus"u8)) value = VehicleClass.Bus;
        else if (text.SequenceEqual("truck"u8)) value = VehicleClass.Truck;
        else if (text.SequenceEqual("motorcycle"u8)) value = VehicleClass.Motorcycle;
        else if (text.SequenceEqual("unknown"u8)) value = VehicleClass.Unknown;
        else return false;
        return true;
    }
}

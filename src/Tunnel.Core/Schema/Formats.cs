namespace Tunnel.Core.Schema;

/// <summary>The two string formats the Tunnel schemas assert, checked by hand: no allocation, no regex.</summary>
public static class Formats
{
    /// <summary>RFC 3339 <c>date-time</c>: <c>2026-11-02T08:15:42.123Z</c>, offset <c>Z</c> or <c>±hh:mm</c>, real calendar dates, second 60 allowed.</summary>
    public static bool IsDateTime(ReadOnlySpan<char> s)
    {
        // yyyy-mm-ddThh:mm:ss is 19 characters, the shortest offset (Z) one more.
        if (s.Length < 20) return false;
        if (!Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-' || !Digits(s, 8, 2, out var day)) return false;
        if (s[10] is not ('T' or 't')) return false;
        if (!Digits(s, 11, 2, out var hour) || s[13] != ':' || !Digits(s, 14, 2, out var minute) || s[16] != ':' || !Digits(s, 17, 2, out var second)) return false;
        if (month is < 1 or > 12 || day < 1 || day > DaysIn(year, month)) return false;
        if (hour > 23 || minute > 59 || second > 60) return false;
        var i = 19;
        if (s[i] == '.')
        {
            i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == start) return false;
        }
        if (i >= s.Length) return false;
        if (s[i] is 'Z' or 'z') return i + 1 == s.Length;
        if (s[i] is not ('+' or '-') || s.Length - i != 6) return false;
        return Digits(s, i + 1, 2, out var offsetHour) && s[i + 3] == ':' && Digits(s, i + 4, 2, out var offsetMinute) && offsetHour <= 23 && offsetMinute <= 59;
    }

    /// <summary>RFC 4122 textual form: 8-4-4-4-12 hex digits, either case.</summary>
    public static bool IsUuid(ReadOnlySpan<char> s)
    {
        if (s.Length != 36) return false;
        for (var i = 0; i < 36; i++)
        {
            if (i is 8 or 13 or 18 or 23)
            {
                if (s[i] != '-') return false;
            }
            else if (!char.IsAsciiHexDigit(s[i])) return false;
        }
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length) return false;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }

    private static int DaysIn(int year, int month) => month == 2
        ? (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28)
        : month is 4 or 6 or 9 or 11 ? 30 : 31;
}

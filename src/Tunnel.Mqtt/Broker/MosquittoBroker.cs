using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Tunnel.Mqtt.Native;

namespace Tunnel.Mqtt;

/// <summary>
/// A private Debian mosquitto broker: the embedded default of the central service, and the broker
/// every test starts for itself. Password login only, optional ACL, persistence, loopback only by
/// default. A small watchdog kills the broker if the owning process dies, even by SIGKILL.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private const string ReadyLine = " running";
    private const int MaxPortAttempts = 5;

    private MosquittoBrokerOptions _options;
    // Completed by the log line mosquitto writes when a SIGHUP made it read its files again.
    private TaskCompletionSource? _reloaded;
    private readonly bool _ownsDirectory;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Process? _broker;
    private Process? _watchdog;
    private bool _disposed;
    // Set before this class itself stops or kills the process, so only an exit nobody asked for is a crash.
    private volatile bool _exitExpected;
    private volatile bool _serving;
    // The TLS listener's certificate and key as the running mosquitto last read them (a hash of their contents); null when unreadable.
    private string? _tlsFilesRead;
    private readonly CancellationTokenSource _stopChecking = new();
    private Task _tlsFileChecks = Task.CompletedTask;

    private MosquittoBroker(MosquittoBrokerOptions options, string dataDirectory, bool ownsDirectory)
    {
        _options = options;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        Port = options.Port;
        TlsPort = options.TlsListener?.Port;
    }

    public string Host => _options.Host;
    public int Port { get; private set; }
    /// <summary>The TLS listener's port, when <see cref="MosquittoBrokerOptions.TlsListener"/> asks for one.</summary>
    public int? TlsPort { get; private set; }
    public string DataDirectory { get; }
    public string ConfigPath => Path.Combine(DataDirectory, "mosquitto.conf");
    public string LogPath => Path.Combine(DataDirectory, "mosquitto.log");
    /// <summary>Started and serving: mosquitto has said it is running, and has not exited since.</summary>
    public bool IsRunning => _serving && _broker is { HasExited: false };
    /// <summary>The running broker's process id, for whoever accounts for its CPU; null when it is not running.</summary>
    public int? ProcessId => IsRunning ? _broker?.Id : null;

    /// <summary>
    /// Raised with the exit code when the running broker exits without this class having stopped or killed it (a crash,
    /// the OOM killer, someone's kill -9): its owner decides whether to <see cref="RestartAsync"/> it.
    /// </summary>
    public event Action<int>? Crashed;

    /// <summary>
    /// Raised by the periodic check of the TLS listener's certificate and key (<see cref="MosquittoBrokerOptions.TlsFileCheckInterval"/>) when they
    /// changed: with null once mosquitto has read them again, or with the exception when it could not be told to (tried again next check).
    /// </summary>
    public event Action<Exception?>? TlsFilesReloaded;

    /// <summary>Writes the configuration, hashes the passwords, starts mosquitto and returns once it reports itself running.</summary>
    /// <exception cref="FileNotFoundException">mosquitto is not installed (the message says which package to install).</exception>
    public static async Task<MosquittoBroker> StartAsync(MosquittoBrokerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var brokerProgram = MosquittoInstallation.Broker;
        var ownsDirectory = options.DataDirectory is null;
        var directory = options.DataDirectory ?? Directory.CreateTempSubdirectory("tunnel-mosquitto-").FullName;
        Directory.CreateDirectory(directory);
        var broker = new MosquittoBroker(options, Path.GetFullPath(directory), ownsDirectory);
        try
        {
            await broker.WriteCredentialsAsync(ct).ConfigureAwait(false);
            await broker.LaunchPickingPortAsync(brokerProgram, ct).ConfigureAwait(false);
            if (options.TlsListener is not null)
            {
                broker._tlsFileChecks = Task.Run(() => broker.CheckTlsFilesPeriodicallyAsync(broker._stopChecking.Token), CancellationToken.None);
            }

            return broker;
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Graceful stop (SIGTERM: mosquitto saves its database), SIGKILL if it does not exit in time.</summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopProcessAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>SIGKILL, as a crash would: nothing is saved beyond what mosquitto had already written.</summary>
    public void Kill()
    {
        _lifecycle.Wait();
        try
        {
            _exitExpected = true;
            _serving = false;
            KillWatchdog();
            if (_broker is { } broker)
            {
                KillAndReap(broker);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Starts the broker again on the same port with the same data directory (stopping it first if it runs).</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await StopProcessAsync().ConfigureAwait(false);
            await LaunchAsync(MosquittoInstallation.Broker, ct).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Replaces the users and the ACL of the running broker without a restart (connected clients stay
    /// connected): rewrites the password and ACL files and sends SIGHUP; returns once mosquitto has
    /// read them again. A stopped broker uses them on its next start.
    /// </summary>
    public async Task ReloadAsync(IReadOnlyDictionary<string, string> users, IReadOnlyList<MosquittoAclRule> acl, CancellationToken ct = default)
    {
        var options = _options with { Users = users, Acl = acl };
        Validate(options);
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _options = options;
            await WriteCredentialsAsync(ct).ConfigureAwait(false);
            WriteConfig();
            if (_broker is not { HasExited: false } broker)
            {
                return;
            }

            // The certificate and key too are read again.
            var tlsFiles = _options.TlsListener is { } tls ? await HashFilesAsync([tls.CertFile, tls.KeyFile], ct).ConfigureAwait(false) : null;
            await SignalReloadAsync(broker, ct).ConfigureAwait(false);
            _tlsFilesRead = tlsFiles;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Sends the running broker a SIGHUP when the TLS listener's certificate or key file changed since mosquitto last read
    /// them and both can be read; returns once it has read them again, true, or false when there was nothing to do.
    /// </summary>
    /// <remarks>
    /// Why: mosquitto reads these files at its start and on SIGHUP only, so a certificate renewed in place (the yearly
    /// renewal, certbot) would go unnoticed and the agents be served the old one until it expires, then refused, until
    /// someone restarted the service. Contents, not write times: certbot swaps symlinks and cp -p keeps the old time.
    /// A file missing or unreadable (a renewal half done) waits for a later check rather than break the listener.
    /// Not the client CA file: mosquitto 2.0 reads its cafile at the start only, a SIGHUP would change nothing.
    /// </remarks>
    public async Task<bool> ReloadIfTlsFilesChangedAsync(CancellationToken ct = default)
    {
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_disposed || _options.TlsListener is not { } tls || _broker is not { HasExited: false } broker || !_serving)
            {
                return false;
            }

            var now = await HashFilesAsync([tls.CertFile, tls.KeyFile], ct).ConfigureAwait(false);
            if (now is null || now == _tlsFilesRead)
            {
                return false;
            }

            await SignalReloadAsync(broker, ct).ConfigureAwait(false);
            _tlsFilesRead = now;
            return true;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task CheckTlsFilesPeriodicallyAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.TlsFileCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    if (await ReloadIfTlsFilesChangedAsync(ct).ConfigureAwait(false))
                    {
                        TlsFilesReloaded?.Invoke(null);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                {
                    TlsFilesReloaded?.Invoke(e);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task SignalReloadAsync(Process broker, CancellationToken ct)
    {
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _reloaded, reloaded);
        if (Native.LibC.Kill(broker.Id, Native.LibC.SigHup) != 0)
        {
            throw new InvalidOperationException($"could not signal mosquitto (pid {broker.Id}) to reload: errno {Marshal.GetLastPInvokeError()}");
        }

        await reloaded.Task.WaitAsync(_options.StartTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>One SHA-256 over the files' contents, or null when one of them is missing, empty or unreadable.</summary>
    private static async Task<string?> HashFilesAsync(IEnumerable<string> files, CancellationToken ct)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            byte[] content;
            try
            {
                content = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            if (content.Length == 0)
            {
                return null;
            }

            hash.AppendData(BitConverter.GetBytes(content.Length));
            hash.AppendData(content);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopChecking.IsCancellationRequested)
        {
            await _stopChecking.CancelAsync().ConfigureAwait(false);
        }

        await _tlsFileChecks.ConfigureAwait(false);
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await StopProcessAsync().ConfigureAwait(false);
            if (_ownsDirectory)
            {
                try { Directory.Delete(DataDirectory, recursive: true); }
                catch (IOException) { /* a leftover temp directory is harmless */ }
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private static void Validate(MosquittoBrokerOptions options)
    {
        if (options.Users.Count == 0)
        {
            throw new ArgumentException("A private broker needs at least one user: anonymous access is off.", nameof(options));
        }

        foreach (var (user, password) in options.Users)
        {
            if (string.IsNullOrWhiteSpace(user) || user.IndexOfAny([':', '\n', '\r']) >= 0 || password.IndexOfAny(['\n', '\r']) >= 0)
            {
                throw new ArgumentException($"User '{user}': names must be non-empty without ':' or line breaks; passwords without line breaks.", nameof(options));
            }
        }

        foreach (var rule in options.Acl)
        {
            if (string.IsNullOrWhiteSpace(rule.Topic) || rule.Topic.IndexOfAny(['\n', '\r']) >= 0 || rule.User?.IndexOfAny(['\n', '\r']) >= 0)
            {
                throw new ArgumentException($"ACL rule {rule} is not a single line.", nameof(options));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPacketSize, 1024);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        if (options.TlsListener is { } tls)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(tls.Host);
            ArgumentOutOfRangeException.ThrowIfNegative(tls.Port);
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.TlsFileCheckInterval, TimeSpan.Zero);
            foreach (var file in tls.Files)
            {
                // mosquitto.conf takes the rest of the line as the path; a line break would start a setting of its own.
                if (string.IsNullOrWhiteSpace(file) || file.IndexOfAny(['\n', '\r']) >= 0)
                {
                    throw new ArgumentException($"TLS listener file '{file}' must be a path on one line.", nameof(options));
                }
            }
        }
    }

    private string PasswordPath => Path.Combine(DataDirectory, "passwd");
    private string AclPath => Path.Combine(DataDirectory, "acl");

    private async Task WriteCredentialsAsync(CancellationToken ct)
    {
        var plain = string.Concat(_options.Users.Select(pair => $"{pair.Key}:{pair.Value}\n"));
        await WritePrivateFileAsync(PasswordPath, plain, ct).ConfigureAwait(false);
        // -U hashes every line of the file in place, so clear-text passwords never outlive this call.
        await RunToCompletionAsync(MosquittoInstallation.PasswordTool, ["-U", PasswordPath], ct).ConfigureAwait(false);

        if (_options.Acl.Count > 0)
        {
            var acl = new StringBuilder();
            foreach (var rule in _options.Acl.Where(r => r.User is null))
            {
                acl.Append($"pattern {rule.AccessKeyword} {rule.Topic}\n");
            }

            foreach (var group in _options.Acl.Where(r => r.User is not null).GroupBy(r => r.User!))
            {
                acl.Append($"\nuser {group.Key}\n");
                foreach (var rule in group)
                {
                    acl.Append($"topic {rule.AccessKeyword} {rule.Topic}\n");
                }
            }

            await WritePrivateFileAsync(AclPath, acl.ToString(), ct).ConfigureAwait(false);
        }
    }

    private void WriteConfig()
    {
        var config = new StringBuilder()
            .Append("# Written by Tunnel.Mqtt for a private broker; rewritten on every start.\n")
            // Debian's mosquitto started as root switches to user 'mosquitto' and then could not read
            // these root-owned files; a private broker has no reason to switch. Ignored when not root.
            .Append("user root\n")
            .Append("per_listener_settings false\n")
            .Append("allow_anonymous false\n")
            .Append($"listener {Port} {Host}\n")
            .Append($"password_file {PasswordPath}\n")
            .Append(_options.Acl.Count > 0 ? $"acl_file {AclPath}\n" : "")
            .Append("persistence true\n")
            .Append($"persistence_location {DataDirectory}/\n")
            .Append("persistence_file mosquitto.db\n")
            .Append(_options.SaveOnEveryChange ? "autosave_on_changes true\nautosave_interval 1\n" : "")
            // Without it Nagle's algorithm on the broker's sockets meets delayed ACKs on the client's and
            // pipelined QoS 1 traffic stalls 40 ms per window (about 330 messages/s instead of thousands).
            .Append("set_tcp_nodelay true\n")
            .Append($"max_packet_size {_options.MaxPacketSize}\n")
            .Append($"max_queued_messages {_options.MaxQueuedMessages}\n")
            .Append($"log_dest file {LogPath}\n")
            .Append("log_dest stderr\n")
            .Append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
            .Append("connection_messages true\n");
        if (_options.TlsListener is { } tls)
        {
            // Last: certfile, keyfile and the rest belong to the listener line above them.
            config.Append($"listener {TlsPort} {tls.Host}\n")
                .Append($"certfile {tls.CertFile}\n")
                .Append($"keyfile {tls.KeyFile}\n")
                // The minimum: TLS 1.3 stays on.
                .Append("tls_version tlsv1.2\n")
                .Append(tls.ClientCaFile is { } ca ? $"cafile {ca}\nrequire_certificate true\n" : "");
        }

        File.WriteAllText(ConfigPath, config.ToString());
    }

    private async Task LaunchPickingPortAsync(string program, CancellationToken ct)
    {
        var pickPort = _options.Port == 0;
        var pickTlsPort = _options.TlsListener is { Port: 0 };
        for (var attempt = 1; ; attempt++)
        {
            if (pickPort)
            {
                Port = FreePort(Host);
            }

            if (pickTlsPort)
            {
                TlsPort = FreePort(_options.TlsListener!.Host);
            }

            try
            {
                await LaunchAsync(program, ct).ConfigureAwait(false);
                return;
            }
            catch (BrokerPortInUseException e) when (((pickPort && e.Port == Port) || (pickTlsPort && e.Port == TlsPort)) && attempt < MaxPortAttempts)
            {
                // Another process took the port between probing and binding: probe again.
            }
        }
    }

    private async Task LaunchAsync(string program, CancellationToken ct)
    {
        WriteConfig();
        // What this process is about to read: a renewal from here on is one the periodic check reloads.
        _tlsFilesRead = _options.TlsListener is { } tls ? await HashFilesAsync([tls.CertFile, tls.KeyFile], ct).ConfigureAwait(false) : null;
        // In a session of its own: Ctrl+C in a terminal signals the whole foreground process group,
        // and the broker must outlive the program's orderly shutdown, not die first and fire every will.
        // setsid execs in place (the child is no group leader), so the process id stays the broker's.
        var start = new ProcessStartInfo(Setsid)
        {
            ArgumentList = { program, "-c", ConfigPath },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start };
        var recentLines = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            recentLines.Enqueue(line);
            while (recentLines.Count > 20 && recentLines.TryDequeue(out string? _))
            {
            }

            if (line.Contains("mosquitto version", StringComparison.Ordinal) && line.EndsWith(ReadyLine, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }

            // Written at the start of the main loop turn that re-reads the files; the turn ends before any new connection is served.
            if (line.Contains("Reloading config", StringComparison.Ordinal))
            {
                Volatile.Read(ref _reloaded)?.TrySetResult();
            }
        };
        process.OutputDataReceived += (_, _) => { };

        process.Start();
        _broker = process;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _exitExpected = false;
        _ = process.WaitForExitAsync(CancellationToken.None).ContinueWith(_ =>
        {
            if (ready.Task.IsCompletedSuccessfully)
            {
                // A restart may already have started the next process: this one's exit is no news about it.
                if (!ReferenceEquals(Volatile.Read(ref _broker), process)) return;
                _serving = false;
                if (!_exitExpected) Crashed?.Invoke(process.ExitCode);
                return;
            }

            var output = string.Join(Environment.NewLine, recentLines);
            ready.TrySetException(output.Contains("Address already in use", StringComparison.Ordinal)
                ? new BrokerPortInUseException(PortOpenedLast(recentLines) ?? Port)
                : new InvalidOperationException($"mosquitto exited with code {process.ExitCode} while starting (config {ConfigPath}):{Environment.NewLine}{output}"));
        }, TaskScheduler.Default);

        try
        {
            await ready.Task.WaitAsync(_options.StartTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            KillAndReap(process);
            throw new TimeoutException($"mosquitto did not report itself running within {_options.StartTimeout.TotalSeconds:0} s; see {LogPath}.");
        }
        catch
        {
            KillAndReap(process);
            throw;
        }

        StartWatchdog(process.Id);
        _serving = true;
    }

    /// <summary>
    /// A shell that waits on a pipe only this process writes to. When this process dies, however
    /// it dies, the kernel closes the pipe, the read returns and the shell stops the broker: SIGTERM,
    /// so mosquitto saves its database (retained acknowledgements and statuses, the sessions and the
    /// messages queued for them, such as alarms for a subscriber that is away), and SIGKILL if it has
    /// not gone within five seconds.
    /// </summary>
    // util-linux, part of every Debian system.
    private const string Setsid = "/usr/bin/setsid";

    private void StartWatchdog(int brokerPid)
    {
        var start = new ProcessStartInfo(Setsid)
        {
            ArgumentList =
            {
                "/bin/sh", "-c",
                "read -r _; kill -TERM \"$0\" 2>/dev/null; i=0; while kill -0 \"$0\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL \"$0\" 2>/dev/null",
                brokerPid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        _watchdog = Process.Start(start);
    }

    private void KillWatchdog()
    {
        if (_watchdog is { } watchdog)
        {
            KillAndReap(watchdog);
            watchdog.Dispose();
            _watchdog = null;
        }
    }

    private async Task StopProcessAsync()
    {
        _exitExpected = true;
        _serving = false;
        KillWatchdog();
        if (_broker is not { } broker)
        {
            return;
        }

        if (!broker.HasExited)
        {
            LibC.Kill(broker.Id, LibC.SigTerm);
            try
            {
                await broker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                KillAndReap(broker);
            }
        }

        broker.Dispose();
        _broker = null;
    }

    private static void KillAndReap(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
    }

    /// <summary>The port of mosquitto's last "Opening ipv4 listen socket on port N." line: the one a bind that failed was for.</summary>
    private static int? PortOpenedLast(IEnumerable<string> lines)
    {
        const string Marker = " listen socket on port ";
        var line = lines.LastOrDefault(l => l.Contains(Marker, StringComparison.Ordinal));
        return line is null ? null
            : int.TryParse(line[(line.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..].TrimEnd('.'), out var port) ? port : null;
    }

    private static int FreePort(string host)
    {
        var probe = new TcpListener(IPAddress.Parse(host), 0);
        probe.Start();
        try
        {
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }
    }

    private static async Task WritePrivateFileAsync(string path, string content, CancellationToken ct)
    {
        // Create it private before any secret is written into it.
        await File.WriteAllTextAsync(path, "", ct).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        await File.WriteAllTextAsync(path, content, ct).ConfigureAwait(false);
    }

    private static async Task RunToCompletionAsync(string program, string[] arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed with code {process.ExitCode}: {await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
        }
    }
}

/// <summary>The broker's configured port is taken: another broker, or another instance of the program, runs on this machine.</summary>
public sealed class BrokerPortInUseException(int port) : Exception($"Port {port} is already in use.")
{
    public int Port { get; } = port;
}

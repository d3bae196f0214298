using System.Diagnostics;
using Tunnel.Recognition.Models;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Onnx;
using Tunnel.Recognition.Plates;

namespace Tunnel.Recognition.Tests;

public class OnnxRuntimeTests
{
    private static readonly Lazy<OnnxSession> Recogniser = new(() => OnnxSession.Load(ModelStore.Open().PathOf("text-recogniser")));

    [Fact]
    public void Loads_onnxruntime_1_30() => Assert.Equal("1.30.0", OnnxSession.RuntimeVersion);

    [Fact]
    public void Recogniser_gives_one_column_per_8_pixels_over_6625_classes()
    {
        var s = Recogniser.Value;
        Assert.Single(s.InputNames);
        Assert.Single(s.OutputNames);
        var input = new float[3 * 48 * 320];
        using var output = s.Run(input, [1, 3, 48, 320]);
        Assert.Equal(new long[] { 1, 40, 6625 }, output.Shape);
        // Softmax output: each column sums to 1.
        var column = output.Data[..6625];
        var sum = 0f;
        foreach (var v in column) sum += v;
        Assert.Equal(1f, sum, 2);
    }

    [Fact]
    public void The_folded_recogniser_computes_what_the_registry_model_does()
    {
        var store = ModelStore.Open();
        var dictionary = new CharDictionary(store.PathOf("dictionary"));
        using var folded = new TextRecognizer(store.PathOf("text-recogniser"), dictionary);
        using var source = new TextRecognizer(store.PathOf("text-recogniser-source"), dictionary);
        Assert.NotEqual(store.PathOf("text-recogniser-source"), store.PathOf("text-recogniser"));
        // Real crops of several widths: the shifts kept ahead of padded convolutions matter at the borders.
        var crops = Directory.GetFiles(TestData.Folder("plate-crops-dev"), "*.jpg").Order(StringComparer.Ordinal).Take(12);
        foreach (var file in crops)
        {
            using var image = Cv.Read(file);
            foreach (var width in new[] { 96, 212 })
            {
                using var line = Cv.Resize(image, width, TextRecognizer.InputHeight);
                var a = folded.Run(line);
                var b = source.Run(line);
                Assert.Equal(b.Frames, a.Frames);
                var worst = a.Probabilities.Zip(b.Probabilities, (x, y) => Math.Abs(x - y)).Max();
                // Float rounding in a different order only: the same classes win with the same probabilities.
                Assert.True(worst < 1e-3, $"{Path.GetFileName(file)} at {width} px: probabilities differ by up to {worst}");
            }
        }
    }

    [Fact]
    public void Detector_gives_a_probability_map_of_the_input_size()
    {
        using var det = OnnxSession.Load(ModelStore.Open().PathOf("text-detector"));
        var input = new float[3 * 64 * 96];
        using var output = det.Run(input, [1, 3, 64, 96]);
        Assert.Equal(new long[] { 1, 1, 64, 96 }, output.Shape);
        foreach (var v in output.Data) Assert.InRange(v, 0f, 1f);
    }

    [Fact]
    public void Wrong_input_shape_is_an_error_not_a_crash()
    {
        var s = Recogniser.Value;
        var e = Assert.Throws<OnnxRuntimeException>(() => s.Run(new float[2 * 48 * 32], [1, 2, 48, 32]));
        Assert.Contains("Run", e.Message);
        Assert.Throws<ArgumentException>(() => s.Run(new float[10], [1, 3, 48, 320]));
    }

    [Fact]
    public void Corrupt_and_missing_model_files_fail_clearly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray());
            var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.Load(path));
            Assert.Contains("cannot load model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<OnnxRuntimeException>(() => OnnxSession.Load("/nonexistent/model.onnx"));
    }

    [Fact]
    public void Many_runs_do_not_grow_native_memory()
    {
        var s = Recogniser.Value;
        var input = new float[3 * 48 * 160];
        for (var i = 0; i < 30; i++) s.Run(input, [1, 3, 48, 160]).Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Process.GetCurrentProcess().WorkingSet64;
        for (var i = 0; i < 300; i++)
        {
            using var o = s.Run(input, [1, 3, 48, 160]);
            Assert.Equal(20 * 6625, o.Length);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Process.GetCurrentProcess().Refresh();
        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        // Each output is 530 KB: keeping them would add 150 MB.
        Assert.True(grown < 30 * 1024 * 1024, $"working set grew by {grown / 1024 / 1024} MB over 300 runs");
    }

    [Fact]
    public void A_disposed_tensor_refuses_access()
    {
        var o = Recogniser.Value.Run(new float[3 * 48 * 32], [1, 3, 48, 32]);
        o.Dispose();
        Assert.Throws<ObjectDisposedException>(() => o.Data.Length);
    }
}

public class ModelStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"models-{Guid.NewGuid():N}");

    public ModelStoreTests()
    {
        var real = ModelStore.Open();
        Directory.CreateDirectory(Path.Combine(_dir, "ppocr-v4"));
        File.Copy(Path.Combine(real.Directory, "manifest.json"), Path.Combine(_dir, "manifest.json"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_restored_files_match_the_manifest()
    {
        var store = ModelStore.Open();
        foreach (var role in new[] { "text-detector", "text-recogniser-source", "text-recogniser", "dictionary" }) Assert.True(File.Exists(store.PathOf(role)));
        Assert.All(store.Files, f => Assert.Equal(64, f.Sha256.Length));
    }

    [Fact]
    public void A_missing_model_says_how_to_restore_it()
    {
        var e = Assert.Throws<ModelFileException>(() => ModelStore.Open(_dir).PathOf("text-recogniser"));
        Assert.Contains("missing", e.Message);
        Assert.Contains("models/restore.sh", e.Message);
    }

    [Fact]
    public void A_corrupt_model_says_how_to_restore_it()
    {
        var real = ModelStore.Open().PathOf("dictionary");
        var bytes = File.ReadAllBytes(real);
        bytes[100] ^= 0x55;
        File.WriteAllBytes(Path.Combine(_dir, "ppocr-v4", "ppocr_keys_v1.txt"), bytes);
        var e = Assert.Throws<ModelFileException>(() => ModelStore.Open(_dir).PathOf("dictionary"));
        Assert.Contains("corrupt: sha256", e.Message);
        Assert.Contains("models/restore.sh", e.Message);

        File.WriteAllBytes(Path.Combine(_dir, "ppocr-v4", "ppocr_keys_v1.txt"), bytes[..1000]);
        e = Assert.Throws<ModelFileException>(() => ModelStore.Open(_dir).PathOf("dictionary"));
        Assert.Contains("corrupt: 1000 bytes", e.Message);
    }

    [Fact]
    public void A_missing_manifest_is_reported()
    {
        var e = Assert.Throws<ModelFileException>(() => ModelStore.Open(Path.Combine(_dir, "nowhere")));
        Assert.Contains("manifest", e.Message);
    }
}

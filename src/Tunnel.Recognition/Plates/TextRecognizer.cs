using Tunnel.Recognition.Native;
using Tunnel.Recognition.Onnx;

namespace Tunnel.Recognition.Plates;

/// <summary>The recogniser's per-frame class probabilities for one text line.</summary>
public sealed record RecognizerOutput(float[] Probabilities, int Frames, int Classes);

/// <summary>
/// PP-OCRv4's recogniser (CRNN + CTC over the 6,623-character dictionary): a text line is resized to
/// height 48, normalised to [-1, 1] and read as one column per 8 pixels of width. The model file is the
/// registry's with its element-wise layers folded into the convolutions (models/derive/fold-recogniser.py):
/// the same arithmetic in about two thirds of the time.
/// </summary>
public sealed class TextRecognizer : IDisposable
{
    public const int InputHeight = 48;
    private static readonly float[] Mean = [127.5f, 127.5f, 127.5f];
    private static readonly float[] Scale = [1 / 127.5f, 1 / 127.5f, 1 / 127.5f];
    private readonly OnnxSession _session;

    public TextRecognizer(string modelPath, CharDictionary dictionary, int threads = 1)
    {
        _session = OnnxSession.Load(modelPath, threads);
        Dictionary = dictionary;
    }

    public CharDictionary Dictionary { get; }

    /// <summary>Reads one BGR text-line image. Widths beyond <paramref name="maxWidth"/> are squeezed.</summary>
    public RecognizerOutput Run(Mat line, int maxWidth = 480)
    {
        var width = (int)Math.Ceiling(InputHeight * (double)line.Width / line.Height);
        width = Math.Clamp(width, 16, maxWidth);
        // Widths in steps of 8 (one output column each) keep the padding below one column.
        var tensorWidth = (width + 7) / 8 * 8;
        using var resized = Cv.Resize(line, width, InputHeight);
        var input = new float[3 * InputHeight * tensorWidth];
        Cv.ToPlanarFloat(resized, input, tensorWidth, InputHeight, Mean, Scale);
        using var output = _session.Run(input, [1, 3, InputHeight, tensorWidth]);
        var frames = (int)output.Shape[1];
        var classes = (int)output.Shape[2];
        if (classes != Dictionary.ClassCount)
            throw new InvalidOperationException($"recogniser gives {classes} classes, the dictionary has {Dictionary.ClassCount}: mismatched model and dictionary files");
        return new RecognizerOutput(output.Data.ToArray(), frames, classes);
    }

    public void Dispose() => _session.Dispose();
}

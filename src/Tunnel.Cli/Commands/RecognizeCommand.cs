using System.CommandLine;
using Spectre.Console;
using Tunnel.Recognition.Batch;

namespace Tunnel.Cli.Commands;

public static class RecognizeCommand
{
    public static Command Create()
    {
        var images = new Option<DirectoryInfo>("--images") { Description = "Folder of images (scene photos or plate crops); a labels.csv beside them adds accuracy figures", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "CSV to write: file,plate,color,confidence,vehicle_class,hazmat,ms", Required = true };
        var command = new Command("recognize", "Read the plate, colour and vehicle class of every image in a folder") { images, output };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(images)!.FullName;
            RecognitionReport report = null!;
            AnsiConsole.Progress().AutoClear(false).Columns(
                    new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("recognising", maxValue: 1);
                    report = RecognizeFolder.Run(dir, parse.GetValue(output)!.FullName,
                        new Progress<(int Done, int Total)>(p => { task.MaxValue = Math.Max(1, p.Total); task.Value = p.Done; }));
                    task.Value = task.MaxValue;
                });
            Console.WriteLine(report.Format());
            return 0;
        });
        return command;
    }
}

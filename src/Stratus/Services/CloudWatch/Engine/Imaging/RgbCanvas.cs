using System.Globalization;

namespace Stratus.Services.CloudWatch.Engine.Imaging;

/// <summary>An RGB colour, read from CloudWatch's "#rrggbb" notation.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);

    public static Rgb? Parse(string text) =>
        text.Length == 7 && text[0] == '#' && int.TryParse(text.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? new Rgb((byte)(value >> 16), (byte)(value >> 8), (byte)value)
            : null;
}

/// <summary>
/// A picture of RGB pixels with the few drawing operations a line chart needs. Drawing outside the picture is
/// clipped, never an error, so any size a widget may ask for can be drawn.
/// </summary>
public sealed class RgbCanvas
{
    public RgbCanvas(int width, int height, Rgb background)
    {
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRectangle(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Rows top to bottom, three bytes (red, green, blue) a pixel.</summary>
    public byte[] Pixels { get; }

    public void SetPixel(int x, int y, Rgb colour)
    {
        if (x < 0 || y < 0 || x >= Width || y >= Height) return;
        var at = (y * Width + x) * 3;
        Pixels[at] = colour.R;
        Pixels[at + 1] = colour.G;
        Pixels[at + 2] = colour.B;
    }

    public void FillRectangle(int x, int y, int width, int height, Rgb colour)
    {
        for (var row = Math.Max(0, y); row < Math.Min(Height, y + height); row++)
            for (var column = Math.Max(0, x); column < Math.Min(Width, x + width); column++)
                SetPixel(column, row, colour);
    }

    /// <summary>A straight line (Bresenham's), <paramref name="thickness"/> pixels wide and tall at each step.</summary>
    public void DrawLine(int x0, int y0, int x1, int y1, Rgb colour, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1;
        var error = dx + dy;
        while (true)
        {
            FillRectangle(x0, y0, thickness, thickness, colour);
            if (x0 == x1 && y0 == y1) return;
            var doubled = 2 * error;
            if (doubled >= dy)
            {
                error += dy;
                x0 += stepX;
            }
            if (doubled <= dx)
            {
                error += dx;
                y0 += stepY;
            }
        }
    }

    /// <summary>Text in <see cref="BitmapFont"/>, its top left corner at (x, y), each font pixel drawn <paramref name="scale"/> pixels square.</summary>
    public void DrawText(int x, int y, string text, Rgb colour, int scale = 1)
    {
        foreach (var character in text)
        {
            var rows = BitmapFont.Glyph(character);
            for (var row = 0; row < BitmapFont.GlyphHeight; row++)
                for (var column = 0; column < BitmapFont.GlyphWidth; column++)
                    if ((rows[row] & (1 << (BitmapFont.GlyphWidth - 1 - column))) != 0)
                        FillRectangle(x + column * scale, y + row * scale, scale, scale, colour);
            x += BitmapFont.Advance * scale;
            if (x >= Width) return;
        }
    }
}

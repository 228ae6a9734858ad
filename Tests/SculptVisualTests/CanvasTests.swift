import Testing
import SculptData
@testable import SculptVisual

@Suite struct CanvasTests {
    @Test func viridisRunsFromPurpleToYellowWithRisingBrightness() {
        let map = Colormap.viridis
        #expect(map.color(0) == RGBColor(red: 68, green: 1, blue: 84))
        #expect(map.color(1) == RGBColor(red: 253, green: 231, blue: 37))
        #expect(map.color(-3) == map.color(0) && map.color(7) == map.color(1) && map.color(.nan) == map.color(0))
        func brightness(_ c: RGBColor) -> Double {
            0.299 * Double(c.red) + 0.587 * Double(c.green) + 0.114 * Double(c.blue)
        }
        var previous = -1.0
        for k in 0...40 {
            let b = brightness(map.color(Float(k) / 40))
            #expect(b > previous)
            previous = b
        }
        // Halfway between two anchors is their mean.
        #expect(Colormap.gray.color(0.5) == RGBColor(red: 128, green: 128, blue: 128))
    }

    @Test func segmentsAreClippedToTheCanvas() {
        var canvas = Canvas(width: 5, height: 5)
        canvas.drawLine(x0: -10, y0: 2, x1: 100, y1: 2, .red)
        for y in 0..<5 {
            for x in 0..<5 { #expect(canvas.pixel(x: x, y: y) == (y == 2 ? .red : .white)) }
        }
        var untouched = Canvas(width: 5, height: 5)
        untouched.drawLine(x0: -10, y0: -3, x1: 20, y1: -1, .red)
        untouched.drawLine(x0: 7, y0: 0, x1: 7, y1: 4, .red)
        #expect(untouched == Canvas(width: 5, height: 5))
        var diagonal = Canvas(width: 4, height: 4)
        diagonal.drawLine(x0: -2, y0: -2, x1: 10, y1: 10, .black)
        for i in 0..<4 { #expect(diagonal.pixel(x: i, y: i) == .black) }
        #expect(diagonal.pixel(x: 1, y: 0) == .white)
    }

    @Test func implicitLinesCrossTheWholeCanvas() {
        var vertical = Canvas(width: 6, height: 4)
        vertical.drawLine(a: 2, b: 0, c: -4, .red)  // x = 2
        for y in 0..<4 {
            for x in 0..<6 { #expect(vertical.pixel(x: x, y: y) == (x == 2 ? .red : .white)) }
        }
        var thick = Canvas(width: 6, height: 6)
        thick.drawLine(a: 0, b: 1, c: -2.5, thickness: 2, .red)  // y = 2.5, two rows: 2 and 3
        for x in 0..<6 {
            #expect(
                thick.pixel(x: x, y: 2) == .red && thick.pixel(x: x, y: 3) == .red && thick.pixel(x: x, y: 4) == .white)
        }
        var none = Canvas(width: 3, height: 3)
        none.drawLine(a: 0, b: 0, c: 1, .red)
        none.drawLine(a: 1, b: 0, c: 50, .red)  // x = -50
        #expect(none == Canvas(width: 3, height: 3))
    }

    @Test func upscalingRepeatsPixelsAndPNGRoundTrips() throws {
        var canvas = Canvas(width: 2, height: 1)
        canvas.setPixel(x: 1, y: 0, .red)
        let big = canvas.upscaled(by: 3)
        #expect(big.width == 6 && big.height == 3)
        for y in 0..<3 {
            for x in 0..<6 { #expect(big.pixel(x: x, y: y) == (x >= 3 ? .red : .white)) }
        }
        let decoded = try PNG.decode(try big.pngBytes())
        #expect(decoded.width == 6 && decoded.height == 3 && decoded.channels == 3)
        #expect(decoded.samples == big.bytes.map(UInt16.init))
    }

    @Test func textUsesTheBitmapFont() {
        #expect(BitmapFont.width(of: "AB", scale: 2) == 22)
        var canvas = Canvas(width: 5, height: 7)
        canvas.drawText("1", x: 0, y: 0)
        // "1" is 0x04 0x0C 0x04 0x04 0x04 0x04 0x0E: the centre column is set on every row.
        for y in 0..<7 { #expect(canvas.pixel(x: 2, y: y) == .black) }
        #expect(canvas.pixel(x: 0, y: 0) == .white && canvas.pixel(x: 1, y: 6) == .black)
        #expect(BitmapFont.glyph("a") == BitmapFont.glyph("A"))
        #expect(BitmapFont.glyph("~") == BitmapFont.glyph("?"))
    }

    @Test func panelsAreLaidOutInAGrid() {
        let tile = Canvas(width: 10, height: 10, background: .black)
        let row = PanelGrid.compose([Panel(tile), Panel(tile), Panel(tile)], margin: 2)
        #expect(row.width == 2 + 3 * 12 && row.height == 14)
        #expect(row.pixel(x: 2, y: 2) == .black && row.pixel(x: 12, y: 2) == .white && row.pixel(x: 14, y: 2) == .black)
        let grid = PanelGrid.compose(Array(repeating: Panel(tile, title: "X"), count: 5), margin: 2, titleScale: 1)
        // Five panels -> 3 columns, 2 rows; titles take 7 + 1 pixels.
        #expect(grid.width == 2 + 3 * 12 && grid.height == 2 + 2 * (10 + 8 + 2))
    }
}

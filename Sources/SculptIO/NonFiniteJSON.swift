#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sculpt's JSON keeps NaN and the infinities (a diverged round's losses, a loss factor over a zero
/// loss) as the strings "nan", "inf" and "-inf", which JSON numbers cannot hold. Every file and
/// output that may carry one is written and read through these two, so the spelling lives here.
extension JSONEncoder {
    /// An encoder that writes NaN and the infinities as "nan", "inf" and "-inf", with `formatting`.
    public static func keepingNonFinite(_ formatting: OutputFormatting = []) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}

extension JSONDecoder {
    /// A decoder that reads "nan", "inf" and "-inf" back as NaN and the infinities.
    public static func keepingNonFinite() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

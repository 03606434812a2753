import Foundation

/// Any `Encodable` value as one element of an invocation's argument list.
private struct Argument: Encodable {
    let value: any Encodable

    func encode(to encoder: Encoder) throws {
        try value.encode(to: encoder)
    }
}

/// `value` as JSON text; one that cannot be encoded is an `invalidArgument` naming `field`.
func jsonText(_ value: any Encodable, field: String) throws -> String {
    do {
        let data = try JSONEncoder().encode(Argument(value: value))
        return String(decoding: data, as: UTF8.self)
    } catch {
        throw SignalRError.invalidArgument(
            field: field,
            message: "invalid \(field): cannot encode \(value) as JSON: \(error)"
        )
    }
}

/// An argument given as JSON text, sent exactly as written: object keys keep their order and
/// numbers every digit, which `JSONEncoder` does not promise (a `Dictionary` has no order).
/// The text is checked by the core; text that is not JSON is an `invalidArgument`.
public struct RawJSON: Encodable, Sendable {
    /// The JSON text.
    public let text: String

    /// Wraps `text`, one JSON value.
    public init(_ text: String) {
        self.text = text
    }

    /// Encoded on its own, a `RawJSON` is its text as a JSON string; as an argument it is spliced in.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// `arguments` as the JSON array text the native layer takes; `RawJSON` elements as written.
func argumentsJSON(_ arguments: [any Encodable]) throws -> String {
    let elements = try arguments.map { argument in
        if let raw = argument as? RawJSON {
            // One value only: "1,2" would otherwise splice in as two arguments.
            guard (try? JSONSerialization.jsonObject(with: Data(raw.text.utf8), options: .fragmentsAllowed)) != nil else {
                throw SignalRError.invalidArgument(
                    field: "arguments",
                    message: "invalid arguments: RawJSON \(raw.text.prefix(40)) is not one JSON value"
                )
            }
            return raw.text
        }
        return try jsonText(argument, field: "arguments")
    }
    return "[" + elements.joined(separator: ",") + "]"
}

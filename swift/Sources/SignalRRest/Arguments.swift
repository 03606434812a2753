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

/// `arguments` as the JSON array text the native layer takes.
func argumentsJSON(_ arguments: [any Encodable]) throws -> String {
    try jsonText(arguments.map(Argument.init), field: "arguments")
}

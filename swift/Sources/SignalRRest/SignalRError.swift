import Foundation
import SignalRRestBindings

/// A failed call; `kind` is the core's stable name of the error kind.
public enum SignalRError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument broke a rule before anything was sent; `field` names it.
    case invalidArgument(field: String, message: String)
    /// The service refused the credentials (`status` 401/403), or no token could be had (`status` nil).
    case unauthorized(status: Int?, message: String)
    /// The connection, user or group does not exist; `errorCode` is the service's `x-ms-error-code`.
    case notFound(errorCode: String, message: String)
    /// The service rejected the request as malformed (400).
    case badRequest(message: String)
    /// Any other non-success answer, with its status and body.
    case serviceError(status: Int, body: String, message: String)
    /// No answer within the client's request timeout (`after` seconds).
    case timeout(after: TimeInterval, message: String)
    /// The request could not be sent or the answer not read.
    case transport(message: String)
    /// A fault inside the native library, such as a Rust panic; it fails this call only.
    case internalError(message: String)

    /// The core's snake_case name of this kind, e.g. `not_found`.
    public var kind: String {
        switch self {
        case .invalidArgument: return "invalid_argument"
        case .unauthorized: return "unauthorized"
        case .notFound: return "not_found"
        case .badRequest: return "bad_request"
        case .serviceError: return "service_error"
        case .timeout: return "timeout"
        case .transport: return "transport"
        case .internalError: return "internal"
        }
    }

    /// The full message, naming the value and the rule it broke.
    public var message: String {
        switch self {
        case let .invalidArgument(_, message), let .unauthorized(_, message), let .notFound(_, message),
             let .badRequest(message), let .serviceError(_, _, message), let .timeout(_, message),
             let .transport(message), let .internalError(message):
            return message
        }
    }

    public var description: String { message }
}

extension SignalRRestBindings.SignalRError {
    /// This package's error; a cancelled native call becomes `CancellationError`.
    var converted: Error {
        switch self {
        case let .InvalidArgument(field, detail): return SignalRError.invalidArgument(field: field, message: detail)
        case let .Unauthorized(status, detail): return SignalRError.unauthorized(status: status.map(Int.init), message: detail)
        case let .NotFound(code, detail): return SignalRError.notFound(errorCode: code, message: detail)
        case let .BadRequest(detail): return SignalRError.badRequest(message: detail)
        case let .Service(status, body, detail):
            return SignalRError.serviceError(status: Int(status), body: body, message: detail)
        case let .Timeout(afterMs, detail): return SignalRError.timeout(after: TimeInterval(afterMs) / 1000, message: detail)
        case let .Transport(detail): return SignalRError.transport(message: detail)
        case .Cancelled: return CancellationError()
        }
    }
}

/// A Rust panic reaches Swift as the generated bindings' own (fileprivate) error type: whatever
/// a native call throws that is neither the bindings' nor this package's `SignalRError` (nor a
/// cancellation) is such a fault.
func internalError(_ error: Error) -> SignalRError {
    .internalError(message: "internal error in the native library: \(error.localizedDescription)")
}

/// Runs a synchronous native call, rethrowing its error as this package's.
func native<T>(_ call: () throws -> T) throws -> T {
    do {
        return try call()
    } catch let error as SignalRRestBindings.SignalRError {
        throw error.converted
    } catch let error as SignalRError {
        throw error
    } catch {
        throw internalError(error)
    }
}

/// Runs an async native call that cancelling the current Task stops: Task cancellation does not
/// reach a Rust future by itself, so the call gets a `Cancellation` fired by the Task's handler.
func cancellable<T>(_ call: (Cancellation) async throws -> T) async throws -> T {
    let cancellation = Cancellation()
    do {
        return try await withTaskCancellationHandler {
            try await call(cancellation)
        } onCancel: {
            cancellation.cancel()
        }
    } catch let error as SignalRRestBindings.SignalRError {
        throw error.converted
    } catch let error as SignalRError {
        throw error
    } catch let error as CancellationError {
        throw error
    } catch {
        throw internalError(error)
    }
}

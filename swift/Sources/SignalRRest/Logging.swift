import Foundation
#if canImport(os)
import os
#endif
import SignalRRestBindings

/// The severity of a log event from the library.
public enum LogLevel: String, Sendable, CaseIterable {
    /// Something failed.
    case error
    /// Something looks wrong but the call goes on.
    case warning
    /// What a running simulator does (each request it serves).
    case info
    /// Details such as each request attempt (method, path, outcome, attempt, elapsed; never a token).
    case debug
    /// Finest details.
    case trace

    init(_ level: SignalRRestBindings.LogLevel) {
        switch level {
        case .error: self = .error
        case .warn: self = .warning
        case .info: self = .info
        case .debug: self = .debug
        case .trace: self = .trace
        }
    }
}

extension SignalRRest {
    /// What receives a log event: its level, target (the Rust module, e.g.
    /// `signalr_rest::client::transport`) and message with its fields as `name=value`.
    public typealias LogHandler = @Sendable (_ level: LogLevel, _ target: String, _ message: String) -> Void

    /// Receives the library's log events (up to debug), such as one per request attempt; nil
    /// drops them. Where `os` is available it starts as a handler writing to `os.Logger`
    /// (subsystem `dev.signalrrest`); elsewhere it starts nil. Called on the thread that logs:
    /// return quickly.
    public static var logHandler: LogHandler? {
        get { LogSinkState.shared.handler }
        set {
            LogSinkState.shared.handler = newValue
            installLogSink()
            // A nil handler takes nothing: events are then skipped where they are made.
            SignalRRestBindings.refreshLogLevels()
        }
    }

    /// Hands the native library's events to `logHandler`; done once, by the first client,
    /// simulator or `logHandler` assignment.
    static func installLogSink() {
        _ = LogSinkState.installed
    }
}

/// The current handler behind a lock, and the native sink forwarding to it.
private final class LogSinkState: SignalRRestBindings.LogSink, @unchecked Sendable {
    static let shared = LogSinkState()
    static let installed: Void = SignalRRestBindings.installLogSink(sink: shared)

    private let lock = NSLock()
    private var current: SignalRRest.LogHandler? = LogSinkState.defaultHandler()

    var handler: SignalRRest.LogHandler? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return current
        }
        set {
            lock.lock()
            current = newValue
            lock.unlock()
        }
    }

    func log(level: SignalRRestBindings.LogLevel, target: String, message: String) {
        handler?(LogLevel(level), target, message)
    }

    func maxLevel() -> SignalRRestBindings.LogLevel? {
        handler == nil ? nil : .trace
    }

    private static func defaultHandler() -> SignalRRest.LogHandler? {
        #if canImport(os)
        if #available(macOS 11.0, iOS 14.0, *) {
            let logger = Logger(subsystem: "dev.signalrrest", category: "signalr-rest")
            return { level, target, message in
                switch level {
                case .error: logger.error("\(target, privacy: .public): \(message, privacy: .public)")
                case .warning: logger.warning("\(target, privacy: .public): \(message, privacy: .public)")
                case .info: logger.info("\(target, privacy: .public): \(message, privacy: .public)")
                case .debug, .trace: logger.debug("\(target, privacy: .public): \(message, privacy: .public)")
                }
            }
        }
        #endif
        return nil
    }
}

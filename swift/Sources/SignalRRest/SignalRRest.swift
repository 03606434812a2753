import SignalRRestBindings

/// Facts about the package as a whole.
public enum SignalRRest {
    /// The package's version: the version of the native core it runs (`signalr_rest::VERSION`).
    public static let version: String = SignalRRestBindings.version()
}

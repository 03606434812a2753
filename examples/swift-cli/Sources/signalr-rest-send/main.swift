// signalr-rest-send --hub chat --target newMessage --message hi [--user alice]
//   [--connection-string "Endpoint=...;AccessKey=...;Version=1.0;"]
// Exit status: 0 sent, 1 the service or the connection failed, 2 a bad command line.
import Foundation
import SendCommand

do {
    let options = try parseArguments(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
    try await send(options)
    print("sent \(options.target) to \(options.user.map { "user \($0)" } ?? "every connection") of hub \(options.hub)")
} catch let error as UsageError {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("signalr-rest-send: \(error)\n".utf8))
    exit(1)
}

#if Dashboard
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// What the dashboard lets in and how one connected page is served.
enum DashboardGate {
    /// Constant-time comparison of a presented token with the server's.
    static func tokenMatches(_ presented: String?, _ token: String) -> Bool {
        guard let presented else { return false }
        let a = Array(presented.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A WebSocket upgrade needs the token (`?token=`), and a browser's Origin must be the page's own
    /// (`http://` + the Host it asked for), so another site's page cannot connect.
    static func allowsUpgrade(_ request: Request, token: String) -> Bool {
        guard tokenMatches(request.uri.queryParameters.get("token"), token) else { return false }
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://" + host
    }

    static func isError(_ answer: String) -> Bool { answer.contains("\"type\":\"error\"") }

    static func reply(_ status: HTTPResponse.Status, _ json: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// Serves one page: its stream of pushes (starting with the snapshot) and answers to its messages,
    /// both written by one task; a message that is too large, binary or malformed gets an error reply.
    static func serve(
        page hub: DashboardHub, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let (id, messages) = await hub.connect()
        let (replies, replier) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        defer { replier.finish() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { writers in
                    writers.addTask { for await text in messages { try? await outbound.write(.text(text)) } }
                    writers.addTask { for await text in replies { try? await outbound.write(.text(text)) } }
                    await writers.next()
                    writers.cancelAll()
                }
            }
            group.addTask {
                var iterator = inbound.messages(maxSize: ClientMessage.maximumBytes).makeAsyncIterator()
                while true {
                    do {
                        guard let message = try await iterator.next() else { break }
                        switch message {
                        case .text(let text): replier.yield(await hub.answer(Array(text.utf8)))
                        case .binary:
                            replier.yield(
                                DashboardHub.error("bad message: binary messages are not understood; send JSON text"))
                        }
                    } catch {
                        replier.yield(
                            DashboardHub.error("bad message: \(error) (at most \(ClientMessage.maximumBytes) bytes)"))
                        try? await Task.sleep(for: .milliseconds(100))
                        break
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        await hub.disconnect(id)
    }
}
#endif

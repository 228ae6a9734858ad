#if Dashboard
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking socket work on a Dispatch thread, off Swift concurrency's small cooperative pool,
/// which the server needs.
func io<T>(_ body: @escaping () throws -> T) async throws -> T {
    let box = UncheckedBox(body)
    return try await withCheckedThrowingContinuation { (c: CheckedContinuation<UncheckedBox<T>, Error>) in
        DispatchQueue.global().async { c.resume(with: Result { UncheckedBox(try box.value()) }) }
    }.value
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A minimal HTTP / WebSocket client on a plain socket, so tests can send exactly the bytes they
/// want (garbage, oversized frames, dropped connections) to the real server on loopback.
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - floor(timeout)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else {
            close(fd)
            throw ClientError("connect failed")
        }
    }

    deinit { close(fd) }

    struct ClientError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads at least `count` more bytes (nil on close or timeout).
    private func fill(_ count: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while pending.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return false }
            pending += buffer[..<n]
        }
        return true
    }

    /// The HTTP response head and body (the body read up to Content-Length).
    func response() -> (status: Int, head: String, body: String)? {
        var end: Int?
        while end == nil {
            if let r = findHeadEnd() {
                end = r
                break
            }
            guard fill(pending.count + 1) else { return nil }
        }
        let head = String(decoding: pending[..<end!], as: UTF8.self)
        pending.removeFirst(end! + 4)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        guard fill(length) else { return (status, head, "") }
        let body = String(decoding: pending[..<length], as: UTF8.self)
        pending.removeFirst(length)
        return (status, head, body)
    }

    private func findHeadEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for i in 0...(pending.count - 4)
        where pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Performs the WebSocket handshake; returns the HTTP status (101 when upgraded).
    func upgrade(port: Int, token: String?, origin: String? = nil) -> Int {
        var request =
            "GET /ws" + (token.map { "?token=\($0)" } ?? "") + " HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        send(request + "\r\n")
        return response()?.status ?? 0
    }

    /// A masked client frame.
    static func frame(_ payload: [UInt8], opcode: UInt8 = 1) -> [UInt8] {
        var out: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            out += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 255)]
        } else {
            out.append(0x80 | 127)
            for k in (0..<8).reversed() { out.append(UInt8((payload.count >> (8 * k)) & 255)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    func sendText(_ text: String) { send(Self.frame(Array(text.utf8))) }

    /// The next text message from the server (control frames skipped); nil on close or timeout.
    func receiveText() -> String? {
        while true {
            guard fill(2) else { return nil }
            let opcode = pending[0] & 0x0F
            var length = Int(pending[1] & 0x7F)
            var header = 2
            if length == 126 {
                guard fill(4) else { return nil }
                length = Int(pending[2]) << 8 | Int(pending[3])
                header = 4
            } else if length == 127 {
                guard fill(10) else { return nil }
                length = (2..<10).reduce(0) { $0 << 8 | Int(pending[$1]) }
                header = 10
            }
            guard fill(header + length) else { return nil }
            let payload = Array(pending[header..<(header + length)])
            pending.removeFirst(header + length)
            if opcode == 8 { return nil }
            if opcode == 1 { return String(decoding: payload, as: UTF8.self) }
        }
    }

    /// Text messages until one contains `fragment` (nil if the connection ends first).
    func receive(containing fragment: String) -> String? {
        while let text = receiveText() { if text.contains(fragment) { return text } }
        return nil
    }
}
#endif

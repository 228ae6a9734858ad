/// Allocations that start on a cache line. Swift's `allocate(capacity:)` aligns to the element
/// type (16 bytes at most here, through `malloc`, and large blocks sit 16 bytes past a page), so a
/// 64-byte vector load from such a buffer straddles two cache lines every time: an AVX-512
/// register of sixteen floats then costs two line accesses, and a store split across lines cannot
/// be forwarded to the next load. Every buffer Sculpt's kernels stream through (`Tensor`'s
/// storage, the fused small-network pass's registers, max pooling's indices) comes from here.
public enum CacheLine {
    /// The alignment in bytes: one x86-64 cache line, and one AVX-512 register.
    public static let bytes = 64

    /// Uninitialized room for `count` values of `T`, starting on a cache line; free it with
    /// `deallocate()` as any other pointer.
    public static func allocate<T>(_ type: T.Type, capacity count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<T>.stride,
                                         alignment: Swift.max(bytes, MemoryLayout<T>.alignment))
            .bindMemory(to: T.self, capacity: count)
    }
}

import SculptCore

/// Mode-n unfolding, folding and the n-mode product of tensors of any rank (Kolda & Bader 2009),
/// with tensorly's element order: the mode-n unfolding of X is `moveaxis(X, n, 0)` reshaped
/// row-major to [I_n, product of the other dimensions].
extension Tensor {
    /// The tensor seen as [left, shape[mode], right] (products of the dimensions before and after).
    func modeView(_ mode: Int) -> (left: Int, size: Int, right: Int) {
        precondition(mode >= 0 && mode < rank, "mode \(mode) of a rank-\(rank) tensor")
        let left = shape[..<mode].reduce(1, *), right = shape[(mode + 1)...].reduce(1, *)
        return (left, shape[mode], right)
    }

    /// The mode-`mode` unfolding, [I_mode, count / I_mode] (a copy).
    public func unfolded(mode: Int) -> Tensor {
        // self is (L, N, R); result is (N, L * R) with result[n, l * R + r] = self[l, n, r]
        let (l, n, r) = modeView(mode)
        let out = Tensor(zeros: [n, l * r])
        if mode == 0 { out.data.update(from: data, count: count); return out }
        for li in 0..<l {
            for ni in 0..<n {
                (out.data + ni * l * r + li * r).update(from: data + (li * n + ni) * r, count: r)
            }
        }
        return out
    }

    /// The tensor of shape `shape` whose mode-`mode` unfolding is `unfolding` (inverse of `unfolded`).
    public static func folded(_ unfolding: Tensor, mode: Int, shape: [Int]) -> Tensor {
        let out = Tensor(zeros: shape)
        let (l, n, r) = out.modeView(mode)
        precondition(unfolding.shape == [n, l * r], "fold \(unfolding.shape) into \(shape) along mode \(mode)")
        if mode == 0 { out.data.update(from: unfolding.data, count: out.count); return out }
        for li in 0..<l {
            for ni in 0..<n {
                (out.data + (li * n + ni) * r).update(from: unfolding.data + ni * l * r + li * r, count: r)
            }
        }
        return out
    }

    /// The n-mode product X x_mode M: every mode-`mode` fiber is multiplied by M [J, I_mode]
    /// (by M^T when `transposeMatrix`, M then stored [I_mode, J]); dimension `mode` becomes J.
    public func modeProduct(_ matrix: Tensor, mode: Int, transposeMatrix: Bool = false) -> Tensor {
        let (l, n, r) = modeView(mode)
        precondition(matrix.rank == 2, "mode product with a \(matrix.shape) tensor")
        let j = transposeMatrix ? matrix.shape[1] : matrix.shape[0]
        precondition((transposeMatrix ? matrix.shape[0] : matrix.shape[1]) == n,
                     "mode-\(mode) product of \(shape) with \(matrix.shape)\(transposeMatrix ? "^T" : "")")
        var newShape = shape
        newShape[mode] = j
        let out = Tensor(zeros: newShape)
        guard j > 0, n > 0, l * r > 0 else { return out }
        if mode == 0 || r >= 64 {
            // one product per left index: Y[li] (J, R) = M (J, N) X[li] (N, R)
            for li in 0..<l {
                BLAS.gemm(transA: transposeMatrix, transB: false, m: j, n: r, k: n,
                          a: matrix.data, lda: matrix.shape[1], b: data + li * n * r, ldb: r,
                          c: out.data + li * j * r, ldc: r)
            }
            return out
        }
        // short fibers after the mode: one big product on the unfolding (J, N) x (N, L * R)
        let x = unfolded(mode: mode)
        let y = Tensor(zeros: [j, l * r])
        BLAS.gemm(transA: transposeMatrix, transB: false, m: j, n: l * r, k: n,
                  a: matrix.data, lda: matrix.shape[1], b: x.data, ldb: l * r, c: y.data, ldc: l * r)
        return Tensor.folded(y, mode: mode, shape: newShape)
    }
}

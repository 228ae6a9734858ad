#if canImport(Accelerate)
import Accelerate
#else
import CLinearAlgebra
#endif

/// Eigenpairs of a real symmetric matrix, a contiguous range of them in ascending order.
public struct SymmetricEigenDecomposition {
    /// Eigenvalues in ascending order, [k].
    public var values: Tensor
    /// Eigenvectors as rows, [k, n]: row i belongs to `values[i]`; the rows are orthonormal.
    public var vectors: Tensor
}

extension Tensor {
    /// The eigenpairs `lowest..<lowest + count` (0 = smallest eigenvalue) of this symmetric
    /// [n, n] matrix, through LAPACK's MRRR `ssyevr`, which computes only the requested vectors.
    /// Only the lower triangle (row-major) is read.
    public func symmetricEigen(lowest: Int, count: Int) throws -> SymmetricEigenDecomposition {
        guard rank == 2, shape[0] == shape[1] else { throw LinearAlgebraError.notAMatrix(shape: shape) }
        let n = shape[0]
        precondition(
            lowest >= 0 && count >= 0 && lowest + count <= n,
            "eigenpairs \(lowest)..<\(lowest + count) of a \(n)x\(n) matrix")
        guard isFinite else { throw LinearAlgebraError.notFinite(operation: "symmetricEigen") }
        let values = Tensor(zeros: [count]), vectors = Tensor(zeros: [count, n])
        if count == 0 { return .init(values: values, vectors: vectors) }
        let a = copy()
        let w = Tensor(zeros: [n])
        let info = LAPACK.ssyevr(n: n, a: a.data, lowest: lowest, count: count, w: w.data, z: vectors.data)
        if info != 0 { throw LinearAlgebraError.lapackFailure(routine: "ssyevr", info: info) }
        values.data.update(from: w.data, count: count)
        return .init(values: values, vectors: vectors)
    }
}

extension LAPACK {
    /// ssyevr for eigenpairs il = lowest+1 ... iu = lowest+count (1-based). The row-major lower
    /// triangle is LAPACK's column-major upper triangle. The eigenvectors come back column-major
    /// [n, count], which is row-major [count, n]: one eigenvector per row, no transpose needed.
    static func ssyevr(n: Int, a: UnsafeMutablePointer<Float>, lowest: Int, count: Int,
                       w: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>) -> Int {
        #if canImport(Accelerate)
        var jobz: Int8 = 86 /* V */, range: Int8 = 73 /* I */, uplo: Int8 = 85 /* U */
        var nn = __LAPACK_int(n), lda = __LAPACK_int(n), ldz = __LAPACK_int(n)
        var vl: Float = 0, vu: Float = 0, abstol: Float = 0
        var il = __LAPACK_int(lowest + 1), iu = __LAPACK_int(lowest + count)
        var m = __LAPACK_int(0), info = __LAPACK_int(0)
        var isuppz = [__LAPACK_int](repeating: 0, count: 2 * Swift.max(1, count))
        var lwork = __LAPACK_int(-1), liwork = __LAPACK_int(-1)
        var queryWork: Float = 0, queryIwork = __LAPACK_int(0)
        ssyevr_(&jobz, &range, &uplo, &nn, a, &lda, &vl, &vu, &il, &iu, &abstol, &m, w, z, &ldz, &isuppz,
                &queryWork, &lwork, &queryIwork, &liwork, &info)
        lwork = __LAPACK_int(queryWork)
        liwork = queryIwork
        var work = [Float](repeating: 0, count: Int(lwork))
        var iwork = [__LAPACK_int](repeating: 0, count: Int(liwork))
        ssyevr_(&jobz, &range, &uplo, &nn, a, &lda, &vl, &vu, &il, &iu, &abstol, &m, w, z, &ldz, &isuppz,
                &work, &lwork, &iwork, &liwork, &info)
        return Int(info)
        #else
        var m = LapackInt(0)
        var isuppz = [LapackInt](repeating: 0, count: 2 * Swift.max(1, count))
        return Int(LAPACKE_ssyevr(LAPACK_COL_MAJOR, 86 /* V */, 73 /* I */, 85 /* U */, LapackInt(n), a, LapackInt(n),
                                  0, 0, LapackInt(lowest + 1), LapackInt(lowest + count), 0,
                                  &m, w, z, LapackInt(n), &isuppz))
        #endif
    }
}

#if canImport(Accelerate)
import Accelerate
#else
import CLinearAlgebra
#endif

/// Errors from LAPACK.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    case notAMatrix(shape: [Int])
    case notFinite(operation: String)
    case lapackFailure(routine: String, info: Int)

    public var description: String {
        switch self {
        case .notAMatrix(let s): return "expected a rank-2 tensor, got shape \(s)"
        case .notFinite(let op): return "\(op): input contains NaN or infinity"
        case .lapackFailure(let r, let info): return "LAPACK \(r) failed with info = \(info)"
        }
    }
}

/// A thin singular value decomposition A = U diag(S) Vt.
public struct SingularValueDecomposition {
    /// Left singular vectors, [m, k] with k = min(m, n).
    public var u: Tensor
    /// Singular values in decreasing order, [k].
    public var s: Tensor
    /// Right singular vectors, transposed: [k, n].
    public var vt: Tensor
}

extension Tensor {
    /// The thin SVD through LAPACK's divide-and-conquer `sgesdd`.
    public func svd() throws -> SingularValueDecomposition {
        guard rank == 2 else { throw LinearAlgebraError.notAMatrix(shape: shape) }
        guard isFinite else { throw LinearAlgebraError.notFinite(operation: "svd") }
        let (m, n) = (shape[0], shape[1])
        let k = Swift.min(m, n)
        let a = copy()
        let u = Tensor(zeros: [m, k]), s = Tensor(zeros: [k]), vt = Tensor(zeros: [k, n])
        if k == 0 { return .init(u: u, s: s, vt: vt) }
        let info = try LAPACK.sgesdd(m: m, n: n, a: a.data, s: s.data, u: u.data, vt: vt.data)
        if info != 0 { throw LinearAlgebraError.lapackFailure(routine: "sgesdd", info: info) }
        return .init(u: u, s: s, vt: vt)
    }

    /// Singular values only (faster than the full SVD).
    public func singularValues() throws -> Tensor {
        guard rank == 2 else { throw LinearAlgebraError.notAMatrix(shape: shape) }
        guard isFinite else { throw LinearAlgebraError.notFinite(operation: "singularValues") }
        let (m, n) = (shape[0], shape[1])
        let k = Swift.min(m, n)
        let a = copy()
        let s = Tensor(zeros: [k])
        if k == 0 { return s }
        let info = try LAPACK.sgesdd(m: m, n: n, a: a.data, s: s.data, u: nil, vt: nil)
        if info != 0 { throw LinearAlgebraError.lapackFailure(routine: "sgesdd", info: info) }
        return s
    }
}

enum LAPACK {
    /// Row-major thin sgesdd; `u`/`vt` nil computes values only. Returns LAPACK's info.
    static func sgesdd(m: Int, n: Int, a: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
                       u: UnsafeMutablePointer<Float>?, vt: UnsafeMutablePointer<Float>?) throws -> Int {
        let k = min(m, n)
        #if canImport(Accelerate)
        // Accelerate's LAPACK is column-major: the row-major A is A^T column-major, whose SVD is
        // V S U^T, so swap the roles of U and Vt.
        var jobz: Int8 = (u == nil) ? 78 /* N */ : 83 /* S */
        var mm = __LAPACK_int(n), nn = __LAPACK_int(m), lda = __LAPACK_int(n)
        var ldu = __LAPACK_int(n), ldvt = __LAPACK_int(k)
        var info = __LAPACK_int(0), lwork = __LAPACK_int(-1)
        var query: Float = 0
        var iwork = [__LAPACK_int](repeating: 0, count: 8 * k)
        let dummy = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        defer { dummy.deallocate() }
        let uc = vt ?? dummy, vc = u ?? dummy + 1
        sgesdd_(&jobz, &mm, &nn, a, &lda, s, uc, &ldu, vc, &ldvt, &query, &lwork, &iwork, &info)
        lwork = __LAPACK_int(query)
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesdd_(&jobz, &mm, &nn, a, &lda, s, uc, &ldu, vc, &ldvt, &work, &lwork, &iwork, &info)
        return Int(info)
        #else
        let jobz: CChar = (u == nil) ? 78 : 83
        let dummy = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        defer { dummy.deallocate() }
        let info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, jobz, LapackInt(m), LapackInt(n), a, LapackInt(n), s,
                                  u ?? dummy, LapackInt(k),
                                  vt ?? dummy + 1, LapackInt(n))  // LAPACKE checks ldvt >= n even for jobz N
        return Int(info)
        #endif
    }
}

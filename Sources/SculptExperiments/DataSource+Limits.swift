import SculptData

extension DataSource {
    /// The training and test sets cut to their first `trainLimit` / `testLimit` samples (0 = all),
    /// as every trial kind reads its `trainLimit` / `testLimit` keys.
    func load(trainLimit: Int, testLimit: Int) throws -> (train: ImageDataset, test: ImageDataset) {
        let (train, test) = try load()
        return (train.limited(to: trainLimit), test.limited(to: testLimit))
    }
}

// The target exists for its header: LLVMFuzzerRunDriver, defined by libFuzzer.

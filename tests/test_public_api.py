import bulkimport


def test_all_names_exist_and_are_sorted() -> None:
    assert {"ImportJob", "ImportOutcome", "run_job"} <= set(bulkimport.__all__)
    for name in bulkimport.__all__:
        assert hasattr(bulkimport, name), name
    assert list(bulkimport.__all__) == sorted(bulkimport.__all__)

import bulkimport


def test_all_names_exist_and_are_sorted() -> None:
    for name in bulkimport.__all__:
        assert hasattr(bulkimport, name), name
    assert list(bulkimport.__all__) == sorted(bulkimport.__all__)

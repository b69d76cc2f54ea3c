"""The Nmbrs APIs bulkimport speaks, one package per API."""

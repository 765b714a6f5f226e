"""The read side: named queries (a ``.cypher`` file and a module of the same name each,
run by queries/engine.py), customer lists and the Cypher linter's inputs."""

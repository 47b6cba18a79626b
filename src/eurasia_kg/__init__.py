"""eurasia-kg: a linked-data knowledge graph of relations between Iran and Russia."""

__version__ = "0.1.0"

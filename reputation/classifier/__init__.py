"""The classifier: a review's text and rating -> sentiment, complaint categories with their
evidence sentence, and the harm/legal/phi flags.

Owns: lexicon (every rule as data), sentiment (VADER tuned for medical text), bagofwords (the
NHS-trained complaint model), embedding (sentence vectors from wordllama's shipped weights),
topics (the trained category and harm models), classify (the pure decision), stored
(classifying stored reviews and mentions), evaluation (scores against hand labels), and data/
(the shipped model weights and written examples). classify, sentiment, topics, bagofwords,
embedding, lexicon and evaluation are pure: no SQLAlchemy, no clock; only `stored` touches the
database (through reputation.storage).
"""

__all__ = [
    "bagofwords",
    "classify",
    "embedding",
    "evaluation",
    "lexicon",
    "sentiment",
    "stored",
    "topics",
]

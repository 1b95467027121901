"""The hotline's shared vocabulary, below every other package of the project.

The libraries (``knowledge``, ``voice``, ``inspection``), the Rasa actions (``bot``) and the API
all import it, and it imports none of them, so each word and pattern is defined once:

- ``vocab.terms``: reply kinds, channels and ratings (``Literal`` types and their tuples);
- ``vocab.patterns``: mainland mobile numbers, area codes and resident ID numbers as regexes;
- ``vocab.numerals``: Chinese numerals read and written (whole numbers through ``cn2an``).
"""

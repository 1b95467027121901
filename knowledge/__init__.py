"""Policy knowledge base: a library with no environment and no web framework.

Modules: catalog (curated YAML entries), regions (参保地 names and hierarchy),
textnorm (cleaning, pinyin), scrub (personal-data removal), ingest (documents to
passages), chunk (splitting), embed (sentence-transformers), index (FAISS),
lexical (jieba ranker), fusion (rank fusion), search (hybrid search),
answering (answer / clarify / abstain decisions).
"""

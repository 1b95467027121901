"""Policy knowledge base: a library with no environment and no web framework.

Modules: catalog (curated YAML entries), regions (参保地 names and hierarchy),
textnorm (cleaning, pinyin), scrub (personal-data removal), ingest (documents to
passages), chunk (splitting), embed (sentence-transformers), index (FAISS),
lexical (jieba ranker), fusion (rank fusion), search (hybrid search),
answering (answer / clarify / abstain decisions), own_region (the caller's region's closest entry under
the threshold), ranking (the kind of fact asked; the order of
tied candidates), calibration (threshold and confidence-model
fitting), facets (follow-ups by facet), named (named services that name their region),
coverage (fact-bearing document sentences no entry cites), asr_noise (speech-recognition confusions),
doc_drafts (draft entries from a document's uncited facts), review (review dates, figures that
disagree), cluster (grouping questions by meaning), faq_sheet (a centre's FAQ spreadsheet read and
checked by row), phrasing (callers' phrasings of an imported question, generated offline).
"""

"""The Rasa assistant: domain, config and custom actions (``bot.actions``), plus model caching.

Modules: rasa_model (region lookup generation, hash-cached training); actions (the action server);
nlu_eval (held-out NLU report); bert_numpy and dense_featurizer (m3e-small sentence features for the
optional pipeline config-dense.yml, measured in docs/benchmarks.md, issue 13).
"""

"""What changed in learners, for the CME provider: the outcomes of an activity.

- :mod:`knowledge`: paired pre/post counts, McNemar's test and the effect size (pure).
- :mod:`report`: the funnel, knowledge change and evaluation summary from the database.
- :mod:`exports`: the same report as CSV and JSON; :mod:`charts`: its SVG charts.
- :mod:`pars`: ACCME's year-end PARS files (activity data, learner credit data) and the
  validator of the learner file.
"""

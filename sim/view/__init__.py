"""``sim view``: one run of the agent model, month by month, in a Mesa SolaraViz page.

:mod:`~sim.view.viewed` is the model the page drives (:class:`ViewedModel`, an
``ExportControlModel`` built from a scenario file and three slider values) and
its Mesa ``model_params``; :mod:`~sim.view.tables` turns a run's
:class:`~sim.results.Results` into the numbers the page shows (no Solara);
:mod:`~sim.view.page` lays them out as SolaraViz components; :mod:`~sim.view.app`
is the module ``solara run`` serves. Needs the optional extra ``view``
(``pip install -e '.[view]'``: Solara and Altair, which Mesa's visualisation
imports).
"""

import warnings

# Mesa 3.3's ComponentsView calls a hook after an early return, which Solara's hook
# checker reports on every import of mesa.visualization; it is Mesa's, and harmless here.
warnings.filterwarnings("ignore", message=r"(?s).*ComponentsView: `use_state` found despite",
                        category=UserWarning)

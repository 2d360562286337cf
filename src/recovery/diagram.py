"""Drawing a workflow as Mermaid or Graphviz text, with transitions' own diagram support, offline."""

from __future__ import annotations

from typing import Any, Literal

from recovery.core.workflow import Workflow


class _Drawn:
    """The model the diagram machine draws (a diagram machine keeps a graph per model)."""


def _graph(workflow: Workflow, engine: Literal["mermaid", "graphviz"]) -> Any:
    from transitions.extensions.diagrams import GraphMachine

    model = _Drawn()
    GraphMachine(
        model=model,
        states=[s.name for s in workflow.states],
        transitions=[
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": [t.guard] if t.guard else [],
            }
            for t in workflow.transitions
        ],
        initial=workflow.initial,
        auto_transitions=False,
        graph_engine=engine,
        show_conditions=True,
        title=f"{workflow.name} v{workflow.version}",
    )
    return model.get_graph()  # type: ignore[attr-defined]


def mermaid(workflow: Workflow) -> str:
    """A Mermaid state diagram of ``workflow``."""
    return str(_graph(workflow, "mermaid").draw(None))


def dot(workflow: Workflow) -> str:
    """A Graphviz dot description of ``workflow`` (no Graphviz binaries needed)."""
    return str(_graph(workflow, "graphviz").source)

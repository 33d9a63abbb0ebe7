"""The readable agent model (Mesa): the reference specification of the simulation."""

from sim.model.model import ExportControlModel

__all__ = ["ExportControlModel"]

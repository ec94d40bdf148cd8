"""pyqtgraph widgets: persistent curves over ring buffers."""

from console.views.plots.trend_plot import TrendPlot

__all__ = ["TrendPlot"]

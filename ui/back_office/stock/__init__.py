"""The Stock page of the back office (``page.StockPage``) and its tabs."""

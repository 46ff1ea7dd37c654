-- The demo's sales tool: listings copied from the warehouse by the last hourly sync (before the
-- morning's changes), then edited by hand here and there, as sales teams do.
ATTACH DATABASE 'warehouse.db' AS wh;
CREATE TABLE listings (
    sku        TEXT PRIMARY KEY,
    title      TEXT,
    grade      TEXT,
    status     TEXT,
    list_price_cents NUMERIC,
    stock      INTEGER
);
INSERT INTO listings SELECT sku, model, grade, status, price_cents, qty FROM wh.devices;
DETACH DATABASE wh;
-- A salesperson's discount and a typo, and a device delisted by hand:
UPDATE listings SET list_price_cents = list_price_cents - 2000 WHERE sku IN ('SKU-100050', 'SKU-101234');
UPDATE listings SET title = 'Iphone 13 128GB' WHERE sku = 'SKU-100006';
DELETE FROM listings WHERE sku = 'SKU-104999';

-- The demo's warehouse: 5,000 refurbished devices, the source of truth for stock and price.
CREATE TABLE devices (
    sku         TEXT PRIMARY KEY,
    model       TEXT,
    grade       CHAR(1),
    status      TEXT,
    price_cents INTEGER,
    qty         INTEGER,
    updated_at  TIMESTAMP
);
INSERT INTO devices
SELECT 'SKU-' || (100000 + i),
       CASE WHEN i % 997 = 0 THEN NULL
            ELSE CASE i % 6 WHEN 0 THEN 'iPhone 13 128GB' WHEN 1 THEN 'iPhone 14 256GB'
                      WHEN 2 THEN 'Galaxy S22' WHEN 3 THEN 'Pixel 7'
                      WHEN 4 THEN 'ThinkPad T14' ELSE 'MacBook Air M1' END END,
       substr('ABCD', i % 4 + 1, 1),
       CASE i % 5 WHEN 0 THEN 'in_stock' WHEN 1 THEN 'reserved' WHEN 2 THEN 'shipped'
                  WHEN 3 THEN 'returned' ELSE 'repair' END,
       9900 + (i * 7919) % 90000,
       (i * 31) % 12,
       '2026-11-01T08:00:00Z'
FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000)
      SELECT i FROM s);

-- The warehouse's morning, after the last hourly sync to the sales tool ran.
UPDATE devices SET status = 'sold', qty = 0, updated_at = '2026-11-01T09:12:00Z'
 WHERE (100000 + rowid) % 211 = 0;
UPDATE devices SET grade = 'B', price_cents = price_cents - 2500, updated_at = '2026-11-01T09:30:00Z'
 WHERE (100000 + rowid) % 389 = 0;
INSERT INTO devices VALUES
    ('SKU-200001', 'Pixel 8 128GB', 'A', 'in_stock', 34900, 3, '2026-11-01T09:40:00Z'),
    ('SKU-200002', 'iPhone 14 256GB', 'B', 'in_stock', 51900, 1, '2026-11-01T09:41:00Z');

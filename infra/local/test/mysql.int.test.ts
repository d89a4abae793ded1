import { loadConfig, mysqlSection } from '@cqrs-shop/config';
import { uniqueName } from '@cqrs-shop/testing';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';

const { mysql } = loadConfig({ mysql: mysqlSection }, process.env);

function connect(database?: string): Promise<Connection> {
  const { host, port, user, password } = mysql;
  return createConnection({ host, port, user, password, ...(database === undefined ? {} : { database }) });
}

describe('MySQL-compatible database (mysql2 against the local server)', () => {
  const database = uniqueName('shop_smoke');
  let admin: Connection;

  beforeAll(async () => {
    admin = await connect();
    await admin.query(`CREATE DATABASE \`${database}\``);
    await admin.query(
      `CREATE TABLE \`${database}\`.jobs (id INT PRIMARY KEY, state VARCHAR(16) NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`INSERT INTO \`${database}\`.jobs VALUES (1, 'new'), (2, 'new'), (3, 'new')`);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  });

  it('lets a second transaction skip rows locked by the first (SELECT ... FOR UPDATE SKIP LOCKED)', async () => {
    const first = await connect(database);
    const second = await connect(database);
    try {
      await first.beginTransaction();
      const [firstRows] = await first.query<RowDataPacket[]>(
        'SELECT id FROM jobs WHERE state = ? ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
        ['new'],
      );
      await second.beginTransaction();
      const [secondRows] = await second.query<RowDataPacket[]>(
        'SELECT id FROM jobs WHERE state = ? ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED',
        ['new'],
      );
      expect(firstRows.map((r) => r.id as number)).toEqual([1]);
      expect(secondRows.map((r) => r.id as number)).toEqual([2, 3]);

      await first.query("UPDATE jobs SET state = 'done' WHERE id = 1");
      await second.query("UPDATE jobs SET state = 'done' WHERE id IN (2, 3)");
      await first.commit();
      await second.rollback();

      const [rows] = await admin.query<RowDataPacket[]>(
        `SELECT id, state FROM \`${database}\`.jobs ORDER BY id`,
      );
      expect(rows.map((r) => [r.id as number, r.state as string])).toEqual([
        [1, 'done'],
        [2, 'new'],
        [3, 'new'],
      ]);
    } finally {
      await first.end();
      await second.end();
    }
  });
});

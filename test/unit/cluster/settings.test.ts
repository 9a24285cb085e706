import { parseClusterSettings, postgresBinDirSetting } from '../../../src/cluster/settings';

describe('cluster profile settings', () => {
  it('gives the defaults when nothing is set, and treats blank as unset', () => {
    const blank = {
      CLUSTER_DATA_DIR: ' ',
      CLUSTER_TEMPORAL_PORT: '',
      CLUSTER_POSTGRES_PORT: '',
      CLUSTER_POSTGRES_BIN_DIR: '',
      CLUSTER_TEMPORAL_LOG_LEVEL: '',
      TEMPORAL_NAMESPACE: '  ',
    };
    for (const source of [{}, blank]) {
      const s = parseClusterSettings(source);
      expect([s.CLUSTER_TEMPORAL_PORT, s.CLUSTER_POSTGRES_PORT, s.CLUSTER_POSTGRES_BIN_DIR]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(s).toMatchObject({
        CLUSTER_DATA_DIR: '.cluster',
        CLUSTER_TEMPORAL_LOG_LEVEL: 'warn',
        TEMPORAL_NAMESPACE: 'default',
      });
    }
  });

  it('reads set values, the namespace trimmed as the service trims it', () => {
    expect(
      parseClusterSettings({
        CLUSTER_DATA_DIR: '/srv/cluster',
        CLUSTER_TEMPORAL_PORT: '7234',
        CLUSTER_POSTGRES_PORT: '5433',
        CLUSTER_POSTGRES_BIN_DIR: '/usr/lib/postgresql/15/bin',
        CLUSTER_TEMPORAL_LOG_LEVEL: 'debug',
        TEMPORAL_NAMESPACE: ' clinic ',
      }),
    ).toEqual({
      CLUSTER_DATA_DIR: '/srv/cluster',
      CLUSTER_TEMPORAL_PORT: 7234,
      CLUSTER_POSTGRES_PORT: 5433,
      CLUSTER_POSTGRES_BIN_DIR: '/usr/lib/postgresql/15/bin',
      CLUSTER_TEMPORAL_LOG_LEVEL: 'debug',
      TEMPORAL_NAMESPACE: 'clinic',
    });
  });

  it('lists every problem at once', () => {
    expect(() =>
      parseClusterSettings({
        CLUSTER_TEMPORAL_PORT: 'abc',
        CLUSTER_POSTGRES_PORT: '70000',
        CLUSTER_TEMPORAL_LOG_LEVEL: 'loud',
      }),
    ).toThrow(/CLUSTER_TEMPORAL_PORT[\s\S]*CLUSTER_POSTGRES_PORT[\s\S]*CLUSTER_TEMPORAL_LOG_LEVEL/);
  });

  it('reads CLUSTER_POSTGRES_BIN_DIR alone', () => {
    expect(postgresBinDirSetting({ CLUSTER_POSTGRES_BIN_DIR: '/opt/pg/bin' })).toBe('/opt/pg/bin');
    expect(postgresBinDirSetting({ CLUSTER_POSTGRES_BIN_DIR: ' ' })).toBeUndefined();
    expect(postgresBinDirSetting({})).toBeUndefined();
  });
});

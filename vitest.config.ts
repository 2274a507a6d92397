import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.nereid/**', 'test/browser/**'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
  },
})

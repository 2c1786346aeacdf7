package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/** mmap(2): lower bytes read through a mapping, MAP_SHARED writes that reach the file. */
class MmapTest extends MountedOverlayTest {
  @OnEachOverlay
  void aReadOnlyMappingOfALowerFileHoldsItsBytes(Overlay overlay) throws Exception {
    mount(overlay);
    byte[] expected = Files.readAllBytes(lower("l3/big"));
    try (FileChannel ch = FileChannel.open(at("big"), StandardOpenOption.READ)) {
      MappedByteBuffer map = ch.map(MapMode.READ_ONLY, 0, ch.size());
      try {
        byte[] mapped = new byte[map.remaining()];
        map.get(mapped);
        assertThat(mapped).isEqualTo(expected);
      } finally {
        unmap(map);
      }
    }
  }

  @OnEachOverlay
  void sharedWritesToALowerFileAreSeenByALaterOpen(Overlay overlay) throws Exception {
    mount(overlay);
    byte[] lowerBytes = Files.readAllBytes(lower("l3/big"));
    byte[] expected = lowerBytes.clone();
    try (FileChannel ch = FileChannel.open(at("big"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      MappedByteBuffer map = ch.map(MapMode.READ_WRITE, 0, ch.size());
      try {
        for (int offset : new int[] {0, 4095, 4096, 150_000, lowerBytes.length - 1}) {
          map.put(offset, (byte) 0x5a);
          expected[offset] = 0x5a;
        }
        map.force();
      } finally {
        unmap(map);
      }
    }
    assertThat(Files.readAllBytes(at("big"))).isEqualTo(expected);
    assertThat(Files.readAllBytes(lower("l3/big"))).isEqualTo(lowerBytes);
  }

  @OnEachOverlay
  void aMappingGrowsANewFileAndTwoMappingsSeeEachOther(Overlay overlay) throws Exception {
    mount(overlay);
    int size = 64 * 1024;
    byte[] expected = new byte[size];
    try (FileChannel one = FileChannel.open(at("new"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      // Mapping past the end makes the JDK grow the file first (ftruncate).
      MappedByteBuffer first = one.map(MapMode.READ_WRITE, 0, size);
      try (FileChannel two = FileChannel.open(at("new"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        MappedByteBuffer second = two.map(MapMode.READ_WRITE, 0, size);
        try {
          for (int i = 0; i < size; i += 1000) {
            first.put(i, (byte) (i / 1000 + 1));
            expected[i] = (byte) (i / 1000 + 1);
          }
          assertThat(second.get(5000)).isEqualTo((byte) 6);
          second.put(7, (byte) 7);
          expected[7] = 7;
          assertThat(first.get(7)).isEqualTo((byte) 7);
          second.force();
          first.force();
        } finally {
          unmap(second);
          unmap(first);
        }
      }
    }
    assertThat(Files.readAllBytes(at("new"))).isEqualTo(expected);
  }

  /**
   * Unmaps at once. The JDK unmaps when the buffer is collected, and until then the mapping
   * keeps the mount busy; sun.misc.Unsafe.invokeCleaner is the supported way to do it sooner.
   */
  private static void unmap(MappedByteBuffer map) throws ReflectiveOperationException {
    Field field = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
    field.setAccessible(true);
    Object unsafe = field.get(null);
    unsafe.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(unsafe, map);
  }
}
